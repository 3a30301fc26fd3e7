import Foundation
import SkyHighCore

/// One versioned schema step. Each driver lists its own (the column types differ); the runner
/// applies the missing ones in order, each in its own transaction, and records them.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

public enum MigrationRunner {
    /// Applies every migration not yet recorded; returns the versions it applied.
    /// `lock` is a statement run first in each transaction so that two processes starting at
    /// once do not both migrate (PostgreSQL takes an advisory lock; SQLite's writer lock suffices).
    @discardableResult
    public static func migrate(_ database: any SQLDatabase, migrations: [Migration], lock: String?,
                               now: Date) async throws -> [Int] {
        try await database.run("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )
            """)
        var applied: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            let didApply = try await database.transaction { sql in
                if let lock { try await sql.run(lock, []) }
                let done = try await sql.run("SELECT version FROM schema_migrations WHERE version = \(Int64(migration.version))")
                guard done.isEmpty else { return false }
                for statement in migration.statements { try await sql.run(statement, []) }
                try await sql.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(Int64(migration.version)), \(migration.name), \(ISO8601DateFormatter().string(from: now)))")
                return true
            }
            if didApply { applied.append(migration.version) }
        }
        return applied
    }
}
