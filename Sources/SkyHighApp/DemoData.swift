import Foundation
import SkyHighCore

/// A few flights and bookings to try the service with. Running it twice changes nothing.
public enum DemoData {
    public struct SignIn: Sendable {
        public let bookingReference: String
        public let lastName: String
        public let flightID: String
    }

    public static func seed(into store: any SkyHighStore, clock: any WallClock) async throws -> [SignIn] {
        let now = clock.now()
        let flights: [(String, String, String, String, String, Double)] = [
            ("SH101", "SH101", "LHR", "JFK", "A320", 2),
            ("SH202", "SH202", "AMS", "BCN", "B738", 3),
            ("SH303", "SH303", "DXB", "SYD", "B77W", 4),
        ]
        for (id, number, origin, destination, type, days) in flights {
            let flight = Flight(id: FlightID(id)!, flightNumber: number, origin: origin, destination: destination,
                                departureTime: (now + days * 86_400).truncatedToMilliseconds, aircraftType: type)
            do {
                _ = try await store.createFlight(flight, seats: try AircraftLayout.builtIn[type]!.seats(), at: now)
            } catch DomainError.flightExists {}
        }
        let bookings: [(String, String, [(String, String, PriorityTier?)])] = [
            ("DEMO01", "SH101", [("Ada", "Lovelace", nil), ("Charles", "Babbage", nil)]),
            ("DEMO02", "SH101", [("Grace", "Hopper", .gold)]),
            ("DEMO03", "SH202", [("Alan", "Turing", .silver)]),
            ("DEMO04", "SH303", [("Katherine", "Johnson", .platinum), ("Dorothy", "Vaughan", nil)]),
        ]
        var signIns: [SignIn] = []
        for (reference, flightID, people) in bookings {
            let booking = Booking(reference: BookingReference(reference)!, flightID: FlightID(flightID)!,
                                  passengers: people.map { Passenger(id: UUID(), firstName: $0.0, lastName: $0.1, priorityTier: $0.2) })
            do {
                try await store.createBooking(booking, at: now)
            } catch DomainError.bookingExists {}
            signIns.append(SignIn(bookingReference: reference, lastName: people[0].1, flightID: flightID))
        }
        return signIns
    }
}
