import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

extension RouteTable {
    /// `POST /sessions`: booking reference and last name in, a bearer token scoped to the booking out.
    mutating func addSessionRoutes(_ env: APIEnvironment) {
        add(.post, "/sessions") { request, _ in
            let body = try await JSONBody.decode(SessionRequest.self, from: request)
            // An unknown reference and a wrong name get the same answer: nothing to enumerate.
            guard let reference = BookingReference(body.bookingReference),
                  let booking = try await env.store.booking(reference),
                  booking.hasPassenger(lastName: body.lastName)
            else { throw DomainError.signInFailed }
            let token = Tokens.make()
            let now = env.clock.now()
            let expiresAt = now + env.sessionLifetime
            try await env.store.createSession(tokenHash: Tokens.hash(token), booking: reference,
                                              createdAt: now, expiresAt: expiresAt)
            // The passenger's next requests here need no lookup (nor a charge to their address).
            env.sessions.remember(Tokens.hash(token), booking: reference, at: now)
            return try JSONBody.response(
                SessionResponse(token: token, bookingReference: reference, flightId: booking.flightID,
                                expiresAt: expiresAt, passengers: booking.passengers.map(PassengerResponse.init)),
                status: .created)
        }
    }
}
