import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

extension RouteTable {
    mutating func addWaitlistRoutes(_ env: APIEnvironment) {
        add(.post, "/flights/{flightId}/waitlist") { request, context in
            let reference = try context.requireBooking()
            let flightID = try context.flightID()
            let body = try await JSONBody.decode(WaitlistRequest.self, from: request)
            try await Ownership.authorize(body.passengerId, of: reference, on: flightID, env)
            let entry = try await env.store.joinWaitlist(flightID: flightID, passengerID: body.passengerId,
                                                         preferences: body.preferences ?? SeatPreferences(), at: env.clock.now())
            env.seatsChanged(flightID)
            if entry.state == .assigned { DomainMetrics.waitlistAssigned() }
            return try JSONBody.response(
                WaitlistEntryResponse(entry, position: try await env.store.waitlistPosition(of: entry)), status: .created,
                headers: [.location: "/waitlist/\(entry.id.lowercased)"])
        }

        add(.get, "/waitlist/{waitlistId}") { _, context in
            let entry = try await Self.ownEntry(context, env)
            return try JSONBody.response(WaitlistEntryResponse(entry, position: try await env.store.waitlistPosition(of: entry)))
        }

        add(.delete, "/waitlist/{waitlistId}") { _, context in
            let entry = try await Self.ownEntry(context, env)
            let left = try await env.store.leaveWaitlist(entry.id, by: entry.passengerID, at: env.clock.now())
            return try JSONBody.response(WaitlistEntryResponse(left, position: nil))
        }
    }

    /// The entry named in the path, if it belongs to a passenger of the signed-in booking.
    static func ownEntry(_ context: AppRequestContext, _ env: APIEnvironment) async throws -> WaitlistEntry {
        let reference = try context.requireBooking()
        let id = try context.uuid("waitlistId", kind: "waitlist-entry-not-found", noun: "waitlist entry")
        guard let entry = try await env.store.waitlistEntry(id) else { throw DomainError.waitlistEntryNotFound(id) }
        try await Ownership.requireOwn(entry.passengerID, reference, env)
        return entry
    }
}
