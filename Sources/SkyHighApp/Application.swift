import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SkyHighAPI
import SkyHighCore

/// Builds the whole service from a configuration: store, HTTP application, background workers.
/// `skyhigh serve` runs what this returns; tests call it too.
public func buildApplication(_ config: Configuration, clock: any WallClock = SystemClock(),
                             logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let logger = logger ?? {
        var logger = Logger(label: "skyhigh")
        logger.logLevel = config.logLevel
        return logger
    }()
    let opened = try await StoreFactory.open(config.database, poolSize: config.databasePoolSize,
                                             clock: clock, logger: logger)
    let storeReady = StartGate.closed()
    let sweeper = ExpirySweeper(store: opened.store, clock: clock, logger: logger, started: storeReady)
    let environment = APIEnvironment(
        store: opened.store, clock: clock, holdDuration: TimeInterval(config.holdSeconds),
        adminToken: config.adminToken, holdPlaced: { sweeper.holdPlaced($0) })
    var app = Application(
        router: buildRouter(environment),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "SkyHigh"),
        services: opened.services + [sweeper],
        logger: logger)
    app.beforeServerStarts {
        let applied = try await opened.migrate()
        if !applied.isEmpty { logger.info("migrated store", metadata: ["versions": "\(applied)"]) }
        storeReady.openGate()
        logger.info("store ready", metadata: ["store": "\(opened.kind)"])
    }
    return app
}
