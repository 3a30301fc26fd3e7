import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

extension RouteTable {
    mutating func addHoldRoutes(_ env: APIEnvironment) {
        add(.post, "/flights/{flightId}/seats/{seatId}/hold") { request, context in
            let reference = try context.requireBooking()
            let flightID = try context.flightID()
            let seatID = try context.seatID(on: flightID)
            let body = try await JSONBody.decode(HoldRequest.self, from: request)
            try await Self.authorize(body.passengerId, of: reference, on: flightID, env)
            let hold: Hold
            do {
                hold = try await env.store.placeHold(flightID: flightID, seatID: seatID, passengerID: body.passengerId,
                                                     at: env.clock.now(), duration: env.holdDuration)
            } catch DomainError.seatUnavailable(let seat) {
                DomainMetrics.hold(.conflict)
                throw DomainError.seatUnavailable(seat)
            }
            DomainMetrics.hold(.created)
            env.holdPlaced(hold)
            env.seatsChanged(flightID)
            return try JSONBody.response(HoldResponse(hold, at: hold.createdAt), status: .created,
                                         headers: [.location: "/holds/\(hold.id.lowercased)"])
        }

        add(.get, "/holds/{holdId}") { _, context in
            let hold = try await Self.ownHold(context, env)
            return try JSONBody.response(HoldResponse(hold, at: env.clock.now()))
        }

        add(.post, "/holds/{holdId}/confirm") { _, context in
            let (holdID, passengers) = try await Self.holdOfBooking(context, env)
            let now = env.clock.now()
            let confirmed = try await env.store.confirmHold(holdID, byOneOf: passengers, at: now)
            DomainMetrics.hold(.confirmed)
            env.seatsChanged(confirmed.flightID)
            return try JSONBody.response(HoldResponse(confirmed, at: now))
        }

        add(.post, "/holds/{holdId}/cancel") { _, context in
            let (holdID, passengers) = try await Self.holdOfBooking(context, env)
            let now = env.clock.now()
            let cancelled = try await env.store.cancelHold(holdID, byOneOf: passengers, at: now)
            DomainMetrics.hold(.cancelled)
            env.seatsChanged(cancelled.flightID)
            return try JSONBody.response(HoldResponse(cancelled, at: now))
        }
    }

    /// The hold named in the path and the passengers of the signed-in booking, one of whom the
    /// store requires to hold it (so a seat write needs no read of the hold first).
    static func holdOfBooking(_ context: AppRequestContext, _ env: APIEnvironment) async throws
        -> (HoldID, [PassengerID]) {
        let reference = try context.requireBooking()
        let holdID = try context.holdID()
        guard let booking = try await env.bookings.booking(reference, in: env.store) else { throw DomainError.notSignedIn }
        return (holdID, booking.passengers.map(\.id))
    }

    /// The passenger must be on the signed-in booking (403) and the booking on the flight (403).
    static func authorize(_ passengerID: PassengerID, of reference: BookingReference, on flightID: FlightID,
                          _ env: APIEnvironment) async throws {
        guard let booking = try await env.bookings.booking(reference, in: env.store) else { throw DomainError.notSignedIn }
        guard booking.passengers.contains(where: { $0.id == passengerID }) else {
            throw try await env.store.booking(of: passengerID) == nil
                ? DomainError.passengerNotFound(passengerID) : DomainError.notYourBooking
        }
        guard booking.flightID == flightID else {
            throw try await env.store.flight(flightID) == nil
                ? DomainError.flightNotFound(flightID) : DomainError.notOnThisFlight(flightID)
        }
    }

    /// The hold named in the path, if it belongs to a passenger of the signed-in booking.
    static func ownHold(_ context: AppRequestContext, _ env: APIEnvironment) async throws -> Hold {
        let reference = try context.requireBooking()
        let holdID = try context.holdID()
        guard let hold = try await env.store.hold(holdID) else { throw DomainError.holdNotFound(holdID) }
        try await requireOwn(hold.passengerID, reference, env)
        return hold
    }

    /// The passenger must be on the signed-in booking (403 otherwise).
    static func requireOwn(_ passengerID: PassengerID, _ reference: BookingReference, _ env: APIEnvironment) async throws {
        guard let booking = try await env.bookings.booking(reference, in: env.store),
              booking.passengers.contains(where: { $0.id == passengerID })
        else { throw DomainError.notYourBooking }
    }
}
