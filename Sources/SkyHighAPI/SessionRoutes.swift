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
            let (token, expiresAt) = try await env.issueSession(reference)
            return try JSONBody.response(
                SessionResponse(token: token, bookingReference: reference, flightId: booking.flightID,
                                expiresAt: expiresAt, passengers: booking.passengers.map(PassengerResponse.init)),
                status: .created)
        }
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

/// `POST /sessions` under an `Idempotency-Key`: the answer kept for repeats has no token (no
/// bearer token is stored in clear anywhere), and a repeat is answered with the first answer and
/// a freshly issued token for the same booking.
enum SessionReplay {
    static let route = "/sessions"

    static func applies(to route: String, _ answer: StoredResponse) -> Bool {
        route == Self.route && answer.status == 201
    }

    static func withoutToken(_ answer: StoredResponse) -> StoredResponse {
        var object = (try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]) ?? [:]
        object["token"] = nil
        return StoredResponse(status: answer.status, contentType: answer.contentType, body: encoded(object),
                              location: answer.location)
    }

    static func reissued(_ kept: StoredResponse, _ env: APIEnvironment) async throws -> StoredResponse {
        var object = (try? JSONSerialization.jsonObject(with: kept.body) as? [String: Any]) ?? [:]
        guard let reference = (object["bookingReference"] as? String).flatMap(BookingReference.init) else {
            throw DomainError.signInFailed
        }
        let (token, expiresAt) = try await env.issueSession(reference)
        object["token"] = token
        object["expiresAt"] = Timestamp.format(expiresAt)
        return StoredResponse(status: kept.status, contentType: kept.contentType, body: encoded(object), location: kept.location)
    }

    private static func encoded(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }
}
