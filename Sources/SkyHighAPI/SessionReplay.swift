import Foundation
import SkyHighCore

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
