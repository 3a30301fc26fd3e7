import Foundation
import SkyHighCore

extension SQLStore {
    /// A claim left PENDING this long (its process died mid-request) may be taken over.
    static let abandonedClaimAge: TimeInterval = 60

    public func claim(_ scope: IdempotencyScope, requestHash: String, at now: Date) async throws -> IdempotencyClaim {
        let key: [SQLValue] = [.text(scope.client), .text(scope.route), .text(scope.key)]
        let inserted = try await database.run("""
            INSERT INTO idempotency_keys (client_key, route, idem_key, request_hash, state, created_at)
            VALUES ($1, $2, $3, $4, 'PENDING', $5)
            ON CONFLICT DO NOTHING
            RETURNING idem_key
            """, key + [.text(requestHash), .date(now)])
        if !inserted.isEmpty { return .claimed }
        guard let row = try await database.run("""
            SELECT request_hash, state, status, content_type, body, location, created_at FROM idempotency_keys
            WHERE client_key = $1 AND route = $2 AND idem_key = $3
            """, key).first
        else { return try await claim(scope, requestHash: requestHash, at: now) }
        guard try row.string("request_hash") == requestHash else { return .mismatch }
        if try row.string("state") == "PENDING" {
            let takenOver = try await database.run("""
                UPDATE idempotency_keys SET created_at = $4
                WHERE client_key = $1 AND route = $2 AND idem_key = $3 AND state = 'PENDING' AND created_at <= $5
                RETURNING idem_key
                """, key + [.date(now), .date(now - Self.abandonedClaimAge)])
            return takenOver.isEmpty ? .inProgress : .claimed
        }
        return .replay(StoredResponse(
            status: Int(try row.int("status")), contentType: try row.string("content_type"),
            body: Data(try row.string("body").utf8), location: try row.optionalString("location")))
    }

    public func complete(_ scope: IdempotencyScope, response: StoredResponse) async throws {
        try await database.run("""
            UPDATE idempotency_keys SET state = 'DONE', status = $4, content_type = $5, body = $6, location = $7
            WHERE client_key = $1 AND route = $2 AND idem_key = $3
            """, [.text(scope.client), .text(scope.route), .text(scope.key), .int(Int64(response.status)),
                  .text(response.contentType), .text(String(decoding: response.body, as: UTF8.self)),
                  .optional(response.location)])
    }

    public func abandon(_ scope: IdempotencyScope) async throws {
        try await database.run("""
            DELETE FROM idempotency_keys WHERE client_key = $1 AND route = $2 AND idem_key = $3 AND state = 'PENDING'
            """, [.text(scope.client), .text(scope.route), .text(scope.key)])
    }
}
