import Foundation
import Logging
import PostgresNIO
import SkyHighCore
import SkyHighStore

/// Opening the production store.
public enum PostgresStore {
    /// A pool for `url`; run it (it is a service) before using the database.
    public static func client(url: String, maximumConnections: Int = 20,
                              logger: Logger = Logger(label: "skyhigh.postgres")) throws -> PostgresClient {
        var configuration = try PostgresURL.configuration(url)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    public static func migrate(_ database: PostgresBackend, now: Date) async throws -> [Int] {
        try await MigrationRunner.migrate(database, migrations: PostgresMigrations.all,
                                          lock: PostgresMigrations.lock, now: now)
    }
}
