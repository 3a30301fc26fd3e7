import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

extension RouteTable {
    mutating func addAdminRoutes(_ env: APIEnvironment) {
        add(.post, "/admin/flights") { request, context in
            try context.requireAdmin()
            let body = try await JSONBody.decode(CreateFlightRequest.self, from: request)
            let (layout, aircraftType) = try Self.layout(body.aircraftType, body.layout)
            let flight = try Flight(id: body.flightId, flightNumber: body.flightNumber, origin: body.origin,
                                    destination: body.destination,
                                    departureTime: body.departureTime.truncatedToMilliseconds,
                                    aircraftType: aircraftType).validated()
            let seats = try layout.seats()
            let now = env.clock.now()
            _ = try await env.store.createFlight(flight, seats: seats, at: now)
            let map = SeatMap(flightID: flight.id, version: 0, seats: seats, live: [:])
            return try JSONBody.response(FlightResponse(flight, seatMap: map), status: .created,
                                         headers: [.location: "/flights/\(flight.id)"])
        }

        add(.post, "/admin/bookings") { request, context in
            try context.requireAdmin()
            let body = try await JSONBody.decode(CreateBookingRequest.self, from: request)
            let booking = try Booking(
                reference: body.bookingReference, flightID: body.flightId,
                passengers: body.passengers.map {
                    Passenger(id: UUID(), firstName: $0.firstName.trimmingCharacters(in: .whitespaces),
                              lastName: $0.lastName.trimmingCharacters(in: .whitespaces), priorityTier: $0.priorityTier)
                }).validated()
            try await env.store.createBooking(booking, at: env.clock.now())
            return try JSONBody.response(BookingResponse(booking), status: .created)
        }

        add(.get, "/admin/flights/{flightId}/events") { _, context in
            try context.requireAdmin()
            let flightID = try context.flightID()
            guard try await env.store.flight(flightID) != nil else { throw DomainError.flightNotFound(flightID) }
            return try JSONBody.response(EventsResponse(flightID: flightID, events: try await env.store.events(of: flightID)))
        }
    }

    /// Exactly one of a built-in aircraft type and an explicit layout.
    private static func layout(_ type: String?, _ layout: AircraftLayout?) throws(DomainError) -> (AircraftLayout, String) {
        switch (type, layout) {
        case (let type?, nil):
            guard let builtIn = AircraftLayout.builtIn[type] else {
                throw .invalid("aircraftType", "must be one of \(AircraftLayout.builtIn.keys.sorted().joined(separator: ", "))")
            }
            return (builtIn, type)
        case (nil, let layout?):
            return (layout, "CUSTOM")
        default:
            throw .invalid("aircraftType", "give either aircraftType or layout, not both or neither")
        }
    }
}
