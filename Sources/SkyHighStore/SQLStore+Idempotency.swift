import Foundation
import SkyHighCore

extension SQLStore {
    /// A claim left PENDING this long (its process died mid-request) may be taken over.
    static let abandonedClaimAge: TimeInterval = 60

    public func claim(_ scope: IdempotencyScope, requestHash: String, at now: Date) async throws -> IdempotencyClaim {
        let inserted = try await database.run("""
            INSERT INTO idempotency_keys (client_key, route, idem_key, request_hash, state, created_at)
            VALUES (\(scope.client), \(scope.route), \(scope.key), \(requestHash), 'PENDING', \(now))
            ON CONFLICT DO NOTHING
            RETURNING idem_key
            """)
        if !inserted.isEmpty { return .claimed }
        guard let row = try await database.run("""
            SELECT request_hash, state, status, content_type, body, location, created_at FROM idempotency_keys
            WHERE \(Self.idempotencyKey(scope))
            """).first
        else { return try await claim(scope, requestHash: requestHash, at: now) }
        guard try row.string("request_hash") == requestHash else { return .mismatch }
        if try row.string("state") == "PENDING" {
            let takenOver = try await database.run("""
                UPDATE idempotency_keys SET created_at = \(now)
                WHERE \(Self.idempotencyKey(scope)) AND state = 'PENDING' AND created_at <= \(now - Self.abandonedClaimAge)
                RETURNING idem_key
                """)
            return takenOver.isEmpty ? .inProgress : .claimed
        }
        return .replay(StoredResponse(
            status: Int(try row.int("status")), contentType: try row.string("content_type"),
            body: Data(try row.string("body").utf8), location: try row.optionalString("location")))
    }

    public func complete(_ scope: IdempotencyScope, response: StoredResponse) async throws {
        try await database.run("""
            UPDATE idempotency_keys SET state = 'DONE', status = \(response.status), content_type = \(response.contentType),
                body = \(String(decoding: response.body, as: UTF8.self)), location = \(response.location)
            WHERE \(Self.idempotencyKey(scope))
            """)
    }

    public func abandon(_ scope: IdempotencyScope) async throws {
        try await database.run("""
            DELETE FROM idempotency_keys WHERE \(Self.idempotencyKey(scope)) AND state = 'PENDING'
            """)
    }

    /// The row of one key: scoped to the client and the route.
    static func idempotencyKey(_ scope: IdempotencyScope) -> SQLStatement {
        "client_key = \(scope.client) AND route = \(scope.route) AND idem_key = \(scope.key)"
    }
}
