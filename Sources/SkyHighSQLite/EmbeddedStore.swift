import Foundation
import SkyHighCore
import SkyHighStore

/// Opening the embedded store: the database, its schema brought up to date, the shared store.
public enum EmbeddedStore {
    public static func migrate(_ database: EmbeddedDatabase, now: Date) async throws -> [Int] {
        try await MigrationRunner.migrate(database, migrations: SQLiteMigrations.all, lock: nil, now: now)
    }

    /// Opens `path` (or a private in-memory database for `nil`) and migrates it.
    public static func open(path: String?, clock: any WallClock = SystemClock(),
                            ids: IDGenerator = .random) async throws -> (store: SQLStore, database: EmbeddedDatabase) {
        let database = try await EmbeddedDatabase.open(path: path)
        _ = try await migrate(database, now: clock.now())
        return (SQLStore(database: database, ids: ids), database)
    }
}
