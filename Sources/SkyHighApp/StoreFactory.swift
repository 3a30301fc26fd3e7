import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import SkyHighCore
import SkyHighPostgres
import SkyHighSQLite
import SkyHighStore

/// The configured store, plus what must run beside it and how to bring its schema up to date.
public struct OpenedStore: Sendable {
    public let store: SQLStore
    /// Services the store needs running: the PostgreSQL pool, or what closes SQLite at shutdown.
    public let services: [any Service]
    /// Applies pending migrations; needs `services` running. Returns the versions applied.
    public let migrate: @Sendable () async throws -> [Int]
    public let kind: String
}

public enum StoreFactory {
    /// Opens the configured store. `signals` hear of every committed change, made by this process
    /// or (on PostgreSQL, through `LISTEN`) by any other; `seatsChanged` gets `nil` when anything
    /// may have changed (a listener reconnected). `blocksChanged` likewise for blocks.
    public static func open(_ config: Configuration, poolSize: Int? = nil, clock: any WallClock, logger: Logger,
                            signals: StoreSignals = StoreSignals(),
                            anySeatsChanged: @escaping @Sendable () -> Void = {},
                            blocksChanged: @escaping @Sendable () -> Void = {},
                            listen: Bool = true) async throws -> OpenedStore {
        let closes = TimeInterval(config.checkinCloseMinutes * 60)
        let traced = config.traces != nil
        switch config.database {
        case .sqlite(let path):
            let sqlite = try await EmbeddedDatabase.open(path: path)
            return OpenedStore(store: SQLStore(database: InstrumentedDatabase(sqlite, store: "sqlite", poolSize: 1, traced: traced),
                                                  checkinCloses: closes,
                                                  jobAttempts: config.jobMaxAttempts, signals: signals),
                               services: [ClosesOnShutdown { try await sqlite.close() }],
                               migrate: { try await EmbeddedStore.migrate(sqlite, now: clock.now()) },
                               kind: "sqlite:\(path ?? ":memory:")")
        case .postgres(let url):
            let size = poolSize ?? config.databasePoolSize
            let client = try PostgresStore.client(url: url, maximumConnections: size, logger: logger)
            let pool = PostgresPool(client: client)
            let postgres = PostgresBackend(client: client, logger: logger,
                                           deadline: .milliseconds(Int64(config.storeTimeoutSeconds * 1000)))
            func listener(_ channel: StoreChannel, _ heard: @escaping @Sendable (String?) -> Void) -> any Service {
                PostgresListener(client: client, channel: channel, logger: logger, poolRunning: pool.running,
                                 onNotification: heard)
            }
            let listeners = [
                listener(.jobs) { _ in signals.jobsEnqueued() },
                listener(.blocks) { _ in blocksChanged() },
                listener(.seats) { payload in
                    if let flight = payload.flatMap(FlightID.init) { signals.seatsChanged(flight) } else { anySeatsChanged() }
                },
            ]
            return OpenedStore(store: SQLStore(database: InstrumentedDatabase(postgres, store: "postgres", poolSize: size,
                                                                                traced: traced),
                                               checkinCloses: closes,
                                               jobAttempts: config.jobMaxAttempts, signals: signals),
                               services: [pool] + (listen ? listeners : []),
                               // Migrations take as long as they take: no request waits on them.
                               migrate: {
                                   await pool.running.wait()
                                   return try await PostgresStore.migrate(PostgresBackend(client: client, logger: logger),
                                                                          now: clock.now())
                               },
                               kind: "postgres")
        }
    }
}

/// Waits for graceful shutdown, then releases a resource. Listed before the services that use
/// the resource, so the service group stops it after them.
struct ClosesOnShutdown: Service {
    let close: @Sendable () async throws -> Void

    func run() async throws {
        try? await gracefulShutdown()
        // Ended by cancellation as often as by a graceful shutdown: close in a task of its own,
        // which the cancellation does not reach.
        try await Task { try await close() }.value
    }
}
