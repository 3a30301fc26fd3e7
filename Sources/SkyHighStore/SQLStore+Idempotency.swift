import Foundation
import SkyHighCore

extension SQLStore {
    public func runIdempotently(_ scope: IdempotencyScope, requestHash: String, at now: Date,
                                _ perform: @escaping @Sendable () async throws -> IdempotentAnswer) async throws -> IdempotentRun {
        let outcome: (run: IdempotentRun, unit: UnitOfWork?)
        do {
            outcome = try await database.unitOfWork { sql in
                // A second request with the key waits here for the first one's transaction.
                let claimed = try await sql.run("""
                    INSERT INTO idempotency_keys (client_key, route, idem_key, request_hash, state, created_at)
                    VALUES (\(scope.client), \(scope.route), \(scope.key), \(requestHash), 'PENDING', \(now))
                    ON CONFLICT DO NOTHING
                    RETURNING idem_key
                    """)
                guard !claimed.isEmpty else { return (try await Self.earlierUse(scope, requestHash, sql), nil) }
                let unit = UnitOfWork(executor: sql)
                let answer = try await UnitOfWork.$current.withValue(unit) { try await perform() }
                guard answer.keep else { throw DiscardedAnswer(response: answer.response) }
                let response = answer.kept ?? answer.response
                try await sql.run("""
                    UPDATE idempotency_keys SET state = 'DONE', status = \(response.status),
                        content_type = \(response.contentType),
                        body = \(String(decoding: response.body, as: UTF8.self)), location = \(response.location)
                    WHERE \(Self.idempotencyKey(scope))
                    """)
                return (.performed(answer.response), unit)
            }
        } catch let discarded as DiscardedAnswer {
            return .performed(discarded.response)
        }
        outcome.unit?.committed()
        return outcome.run
    }

    /// What a key used before answers: its first answer, or why not.
    private static func earlierUse(_ scope: IdempotencyScope, _ requestHash: String,
                                   _ sql: any SQLExecutor) async throws -> IdempotentRun {
        guard let row = try await sql.run("""
            SELECT request_hash, state, status, content_type, body, location FROM idempotency_keys
            WHERE \(idempotencyKey(scope))
            """).first
        else { return .inProgress }
        guard try row.string("request_hash") == requestHash else { return .mismatch }
        guard try row.string("state") == "DONE" else { return .inProgress }
        return .replay(StoredResponse(
            status: Int(try row.int("status")), contentType: try row.string("content_type"),
            body: Data(try row.string("body").utf8), location: try row.optionalString("location")))
    }

    /// The row of one key: scoped to the client and the route.
    static func idempotencyKey(_ scope: IdempotencyScope) -> SQLStatement {
        "client_key = \(scope.client) AND route = \(scope.route) AND idem_key = \(scope.key)"
    }
}

/// An answer not kept: the unit rolls back, effect and record alike.
private struct DiscardedAnswer: Error {
    let response: StoredResponse
}
