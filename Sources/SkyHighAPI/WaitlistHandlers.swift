import Foundation
import SkyHighCore

/// Joining a flight's seat waitlist, reading an entry and leaving, for passengers of the
/// signed-in booking.
extension APIHandlers {
    func joinWaitlist(_ input: Operations.JoinWaitlist.Input) async throws -> Operations.JoinWaitlist.Output {
        let env = environment
        let reference = try context.requireBooking()
        let flightID = try PathID.flight(input.path.flightId)
        guard case .json(let body) = input.body else { preconditionFailure("the only content type is JSON") }
        let passengerID = try Self.uuid(body.passengerId, member: "passengerId")
        try await Ownership.authorize(passengerID, of: reference, on: flightID, env)
        let entry = try await env.store.joinWaitlist(flightID: flightID, passengerID: passengerID,
                                                     preferences: body.preferences ?? SeatPreferences(), at: env.clock.now())
        env.seatsChanged(flightID)
        if entry.state == .assigned { DomainMetrics.waitlistAssigned() }
        return .created(.init(headers: .init(location: "/waitlist/\(entry.id.lowercased)"),
                              body: .json(.init(entry, position: try await env.store.waitlistPosition(of: entry)))))
    }

    func getWaitlistEntry(_ input: Operations.GetWaitlistEntry.Input) async throws -> Operations.GetWaitlistEntry.Output {
        let entry = try await ownEntry(input.path.waitlistId)
        return .ok(.init(body: .json(.init(entry, position: try await environment.store.waitlistPosition(of: entry)))))
    }

    func leaveWaitlist(_ input: Operations.LeaveWaitlist.Input) async throws -> Operations.LeaveWaitlist.Output {
        let entry = try await ownEntry(input.path.waitlistId)
        let left = try await environment.store.leaveWaitlist(entry.id, by: entry.passengerID, at: environment.clock.now())
        return .ok(.init(body: .json(.init(left, position: nil))))
    }

    /// The entry named in the path, if it belongs to a passenger of the signed-in booking.
    private func ownEntry(_ rawID: String) async throws -> WaitlistEntry {
        let reference = try context.requireBooking()
        let id = try PathID.uuid(rawID, kind: "waitlist-entry-not-found", noun: "waitlist entry")
        guard let entry = try await environment.store.waitlistEntry(id) else { throw DomainError.waitlistEntryNotFound(id) }
        try await Ownership.requireOwn(entry.passengerID, reference, environment)
        return entry
    }
}

extension Components.Schemas.WaitlistEntry {
    init(_ entry: WaitlistEntry, position: Int?) {
        self.init(waitlistId: entry.id.lowercased, flightId: entry.flightID.description,
                  passengerId: entry.passengerID.lowercased, state: entry.state, position: position,
                  seatId: entry.seatID?.description, holdId: entry.holdID?.lowercased,
                  preferences: .init(value1: entry.preferences, value2: .init(seats: entry.preferences.seats.map(\.description))),
                  joinedAt: entry.joinedAt, updatedAt: entry.updatedAt)
    }
}
