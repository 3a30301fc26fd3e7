import Foundation
import SkyHighCore

/// Flights and bookings for tests, built through the store's public interface.
public struct Fixtures: Sendable {
    public let store: any SkyHighStore
    public let clock: ManualClock

    public init(store: any SkyHighStore, clock: ManualClock = ManualClock()) {
        self.store = store
        self.clock = clock
    }

    /// An A320 departing in `departsIn` seconds.
    @discardableResult
    public func flight(_ id: String = "SH100", type: String = "A320", departsIn: TimeInterval = 3 * 86_400) async throws -> Flight {
        let flight = Flight(id: FlightID(id)!, flightNumber: "SH100", origin: "LHR", destination: "JFK",
                            departureTime: clock.now() + departsIn, aircraftType: type)
        return try await store.createFlight(flight, seats: try AircraftLayout.builtIn[type]!.seats(), at: clock.now())
    }

    /// `count` passengers on `flight`, in bookings of up to nine; returns their ids in order.
    public func passengers(_ count: Int, on flight: String = "SH100", tier: PriorityTier? = nil) async throws -> [PassengerID] {
        var ids: [PassengerID] = []
        var remaining = count
        while remaining > 0 {
            let size = min(remaining, Booking.maximumPassengers)
            let passengers = (0..<size).map { _ in
                Passenger(id: UUID(), firstName: "Test", lastName: "Passenger\(ids.count)", priorityTier: tier)
            }
            try await store.createBooking(
                Booking(reference: Self.newReference(), flightID: FlightID(flight)!, passengers: passengers), at: clock.now())
            ids += passengers.map(\.id)
            remaining -= size
        }
        return ids
    }

    public static func newReference() -> BookingReference {
        let letters = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return BookingReference(String((0..<6).map { _ in letters.randomElement()! }))!
    }
}
