import Foundation
import SkyHighCore

/// Holding, confirming and cancelling seats, for passengers of the signed-in booking.
extension APIHandlers {
    func holdSeat(_ input: Operations.HoldSeat.Input) async throws -> Operations.HoldSeat.Output {
        let env = environment
        let reference = try context.requireBooking()
        let flightID = try PathID.flight(input.path.flightId)
        let seatID = try PathID.seat(input.path.seatId, on: flightID)
        guard case .json(let body) = input.body else { preconditionFailure("the only content type is JSON") }
        let passengerID = try Self.uuid(body.passengerId, member: "passengerId")
        try await Ownership.authorize(passengerID, of: reference, on: flightID, env)
        let hold: Hold
        do {
            hold = try await env.store.placeHold(flightID: flightID, seatID: seatID, passengerID: passengerID,
                                                 at: env.clock.now(), duration: env.holdDuration)
        } catch DomainError.seatUnavailable(let seat) {
            DomainMetrics.hold(.conflict)
            throw DomainError.seatUnavailable(seat)
        }
        DomainMetrics.hold(.created)
        env.holdPlaced(hold)
        env.seatsChanged(flightID)
        return .created(.init(headers: .init(location: "/holds/\(hold.id.lowercased)"),
                              body: .json(.init(hold, at: hold.createdAt))))
    }

    func getHold(_ input: Operations.GetHold.Input) async throws -> Operations.GetHold.Output {
        let hold = try await ownHold(input.path.holdId)
        return .ok(.init(body: .json(.init(hold, at: environment.clock.now()))))
    }

    func confirmHold(_ input: Operations.ConfirmHold.Input) async throws -> Operations.ConfirmHold.Output {
        .ok(.init(body: .json(try await settle(input.path.holdId, .confirmed) { store, id, passengers, now in
            try await store.confirmHold(id, byOneOf: passengers, at: now)
        })))
    }

    func cancelHold(_ input: Operations.CancelHold.Input) async throws -> Operations.CancelHold.Output {
        .ok(.init(body: .json(try await settle(input.path.holdId, .cancelled) { store, id, passengers, now in
            try await store.cancelHold(id, byOneOf: passengers, at: now)
        })))
    }

    /// Confirms or cancels (`change`) the hold named in the path; the store requires one of the
    /// signed-in booking's passengers to hold it.
    private func settle(_ rawID: String, _ outcome: DomainMetrics.HoldOutcome,
                        _ change: (any SkyHighStore, HoldID, [PassengerID], Date) async throws -> Hold)
        async throws -> Components.Schemas.Hold {
        let (holdID, passengers) = try await holdOfBooking(rawID)
        let now = environment.clock.now()
        let settled = try await change(environment.store, holdID, passengers, now)
        DomainMetrics.hold(outcome)
        environment.seatsChanged(settled.flightID)
        return .init(settled, at: now)
    }

    /// The hold named in the path and the passengers of the signed-in booking, one of whom the
    /// store requires to hold it (so a seat write needs no read of the hold first).
    private func holdOfBooking(_ rawID: String) async throws -> (HoldID, [PassengerID]) {
        let reference = try context.requireBooking()
        let holdID = try PathID.hold(rawID)
        guard let booking = try await environment.bookings.booking(reference, in: environment.store) else {
            throw DomainError.notSignedIn
        }
        return (holdID, booking.passengers.map(\.id))
    }

    /// The hold named in the path, if it belongs to a passenger of the signed-in booking.
    private func ownHold(_ rawID: String) async throws -> Hold {
        let reference = try context.requireBooking()
        let holdID = try PathID.hold(rawID)
        guard let hold = try await environment.store.hold(holdID) else { throw DomainError.holdNotFound(holdID) }
        try await Ownership.requireOwn(hold.passengerID, reference, environment)
        return hold
    }
}

extension Components.Schemas.Hold {
    /// A HELD hold past its expiry reads EXPIRED, swept or not.
    init(_ hold: Hold, at now: Date) {
        self.init(holdId: hold.id.lowercased, flightId: hold.flightID.description, seatId: hold.seatID.description,
                  passengerId: hold.passengerID.lowercased, state: hold.effectiveState(at: now),
                  createdAt: hold.createdAt, expiresAt: hold.expiresAt, updatedAt: hold.updatedAt)
    }
}
