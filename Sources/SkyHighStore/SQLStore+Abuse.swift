import Foundation
import SkyHighCore

extension SQLStore {
    public func recordIncident(_ incident: Incident, alsoBlocking: [String]) async throws {
        try await transaction { sql in
            try await sql.run("""
                INSERT INTO incidents (incident_id, client_key, rule, first_at, last_at, evidence, blocked_until)
                VALUES (\(incident.id), \(incident.clientKey), \(incident.rule), \(incident.firstAt), \(incident.lastAt), \(incident.evidence), \(incident.blockedUntil))
                """)
            if let until = incident.blockedUntil {
                for key in [incident.clientKey] + alsoBlocking {
                    try await sql.run("""
                        INSERT INTO blocks (client_key, blocked_until, incident_id) VALUES (\(key), \(until), \(incident.id))
                        ON CONFLICT (client_key) DO UPDATE SET blocked_until = excluded.blocked_until, incident_id = excluded.incident_id
                        """)
                }
                try await sql.announce(.blocks, database.dialect)
            }
        }
    }

    public func incidents(limit: Int) async throws -> [Incident] {
        try await run("""
            SELECT incident_id, client_key, rule, first_at, last_at, evidence, blocked_until FROM incidents
            ORDER BY last_at DESC LIMIT \(Int64(limit))
            """).map { row in
            Incident(id: try row.uuid("incident_id"), clientKey: try row.string("client_key"), rule: try row.string("rule"),
                     firstAt: try row.date("first_at"), lastAt: try row.date("last_at"), evidence: try row.string("evidence"),
                     blockedUntil: try row.optionalDate("blocked_until"))
        }
    }

    public func activeBlocks(at now: Date) async throws -> [String: Date] {
        var blocks: [String: Date] = [:]
        for row in try await run("SELECT client_key, blocked_until FROM blocks WHERE blocked_until > \(now)") {
            blocks[try row.string("client_key")] = try row.date("blocked_until")
        }
        return blocks
    }

    public func liftBlock(_ clientKey: String, at now: Date) async throws -> [String] {
        try await transaction { sql in
            // The blocks one incident made (a booking and its address) are lifted together.
            let lifted = try await sql.run("""
                DELETE FROM blocks WHERE client_key = \(clientKey)
                   OR incident_id = (SELECT incident_id FROM blocks WHERE client_key = \(clientKey))
                RETURNING client_key, blocked_until
                """)
            try await sql.announce(.blocks, database.dialect)
            return try lifted.filter { try $0.date("blocked_until") > now }.map { try $0.string("client_key") }.sorted()
        }
    }
}
