import Foundation
import SkyHighCore

/// Signing in: a booking reference and a last name in, a bearer token scoped to the booking out.
extension APIHandlers {
    func createSession(_ input: Operations.CreateSession.Input) async throws -> Operations.CreateSession.Output {
        guard case .json(let body) = input.body else { preconditionFailure("the only content type is JSON") }
        let env = environment
        // An unknown reference and a wrong name get the same answer: nothing to enumerate.
        guard let reference = BookingReference(body.bookingReference),
              let booking = try await env.store.booking(reference),
              booking.hasPassenger(lastName: body.lastName)
        else { throw DomainError.signInFailed }
        let (token, expiresAt) = try await env.issueSession(reference)
        return .created(.init(body: .json(.init(
            token: token, bookingReference: reference.description, flightId: booking.flightID.description,
            expiresAt: expiresAt, passengers: booking.passengers.map(Components.Schemas.Passenger.init)))))
    }
}

extension Components.Schemas.Passenger {
    init(_ passenger: Passenger) {
        self.init(passengerId: passenger.id.lowercased, firstName: passenger.firstName, lastName: passenger.lastName,
                  priorityTier: passenger.priorityTier)
    }
}

extension APIEnvironment {
    /// A new session for the booking: only the token's hash is stored.
    func issueSession(_ reference: BookingReference) async throws -> (token: String, expiresAt: Date) {
        let token = Tokens.make()
        let now = clock.now()
        let expiresAt = now + sessionLifetime
        try await store.createSession(tokenHash: Tokens.hash(token), booking: reference, createdAt: now, expiresAt: expiresAt)
        // The passenger's next requests here need no lookup (nor a charge to their address).
        sessions.remember(Tokens.hash(token), booking: reference, at: now)
        return (token, expiresAt)
    }
}
