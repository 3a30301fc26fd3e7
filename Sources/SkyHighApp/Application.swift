import Foundation
import Hummingbird
import NIOPosix
import Logging
import ServiceLifecycle
import SkyHighAPI
import SkyHighCore
import SkyHighStore

/// The store and the background services every process runs: the expiry sweep and the job
/// worker. `serve` adds the HTTP server; `worker` runs these alone.
public struct BackgroundServices: Sendable {
    public let opened: OpenedStore
    public let sweeper: ExpirySweeper
    public let worker: JobWorker
    public let abuseGuard: AbuseGuard
    public let seatMaps: SeatMapCache
    public let seatChanges: SeatChangeHub
    /// The Weight and Payment services (HTTP clients, or the in-process mocks).
    public let external: ExternalServices
    let blockSync: BlockSync
    let reconciler: SeatMapReconciler
    /// Keeps this process's clock on the store's, when it was given a ``StoreAlignedClock``.
    let calibration: ClockCalibration?
    /// Re-derives due work from the state (free seats for the waitlist, pending payments).
    let repair: RepairService
    /// Purges old rows in bounded batches.
    let retention: RetentionSweeper
    let storeReady: StartGate
    let logger: Logger

    public static func make(_ config: Configuration, clock: any WallClock, logger: Logger) async throws -> BackgroundServices {
        Telemetry.start()
        let doorbell = WakeSignal()
        let blocksChanged = WakeSignal()
        let relay = SeatChangeRelay()
        let opened = try await StoreFactory.open(
            config, clock: clock, logger: logger,
            signals: StoreSignals(jobsEnqueued: { doorbell.signal() }, seatsChanged: { relay.send($0) }),
            anySeatsChanged: { relay.send(nil) }, blocksChanged: { blocksChanged.signal() })
        let seatMaps = SeatMapCache(store: opened.store, clock: clock)
        let seatChanges = SeatChangeHub(store: opened.store)
        relay.connect { flight in
            if let flight {
                seatMaps.invalidate(flight)
                seatChanges.flightChanged(flight)
            } else {
                seatMaps.invalidateAll()
                seatChanges.everythingChanged()
            }
        }
        let storeReady = StartGate.closed()
        let external = ExternalServices.make(configuration: config, clock: clock, logger: logger,
                                             webhookURL: ownWebhookURL(config))
        let notifier: any NotificationSender = config.notificationURL.map {
            WebhookNotificationSender(url: $0, secret: config.notificationSecret, clock: clock, logger: logger)
        } ?? LoggingNotificationSender(logger: logger)
        let worker = JobWorker(
            store: opened.store, clock: clock, logger: logger,
            handlers: JobHandlers.all(store: opened.store, clock: clock, notifier: notifier, payments: external.payment,
                                      baggage: config.baggage, logger: logger),
            concurrency: config.workerConcurrency, started: storeReady, wake: doorbell,
            traced: config.traces != nil)
        let sweeper = ExpirySweeper(store: opened.store, clock: clock, logger: logger, started: storeReady)
        let abuseGuard = AbuseGuard(policy: config.abuse, trustedProxies: config.trustedProxies,
                                    allowlist: config.abuseAllowlist, sharesCounts: config.redis != nil)
        let blockSync = BlockSync(store: opened.store, guardian: abuseGuard, clock: clock, logger: logger,
                                  wake: blocksChanged, started: storeReady)
        let reconciler = SeatMapReconciler(seatMaps: seatMaps, seatChanges: seatChanges, clock: clock, logger: logger,
                                           started: storeReady)
        let calibration = (clock as? StoreAlignedClock).map {
            ClockCalibration(clock: $0, store: opened.store, logger: logger, started: storeReady)
        }
        let repair = RepairService(store: opened.store, clock: clock, logger: logger, started: storeReady,
                                   settings: config.maintenance)
        let retention = RetentionSweeper(store: opened.store, clock: clock, logger: logger, started: storeReady,
                                         settings: config.maintenance)
        return BackgroundServices(opened: opened, sweeper: sweeper, worker: worker, abuseGuard: abuseGuard,
                                  seatMaps: seatMaps, seatChanges: seatChanges, external: external, blockSync: blockSync,
                                  reconciler: reconciler, calibration: calibration, repair: repair, retention: retention,
                                  storeReady: storeReady, logger: logger)
    }

    /// The store's own services first, so that a graceful shutdown stops them last.
    public var services: [any Service] {
        opened.services + [sweeper, worker, blockSync, reconciler, repair, retention] + (calibration.map { [$0] } ?? [])
    }

    /// Brings the schema up to date, then lets the background services start.
    public func prepareStore() async throws {
        let applied = try await opened.migrate()
        if !applied.isEmpty { logger.info("migrated store", metadata: ["versions": "\(applied)"]) }
        try await calibration?.calibrate()
        storeReady.openGate()
        logger.info("store ready", metadata: ["store": "\(opened.kind)"])
    }
}

/// Where this process's own payment webhook listens, for the in-process Payment mock.
func ownWebhookURL(_ config: Configuration) -> URL {
    let host = ["0.0.0.0", "::", ""].contains(config.host) ? "127.0.0.1" : config.host
    let bracketed = host.contains(":") ? "[\(host)]" : host
    return URL(string: "http://\(bracketed):\(config.port)/payments/webhook")
        ?? URL(fileURLWithPath: "/")
}

public func makeLogger(_ config: Configuration) -> Logger {
    var logger = Logger(label: "skyhigh")
    logger.logLevel = config.logLevel
    return logger
}

/// Builds the whole service from a configuration: store, HTTP application, background workers.
/// `skyhigh serve` runs what this returns; tests call it too. The default clock is the store's
/// (see ``StoreAlignedClock``); tests pass a clock they move. `onServerRunning` is called once
/// the port is bound, with the port (the one the system chose, for port 0).
public func buildApplication(_ config: Configuration, clock: any WallClock = StoreAlignedClock(local: SystemClock()),
                             logger: Logger? = nil,
                             onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in })
    async throws -> some ApplicationProtocol {
    let logger = logger ?? makeLogger(config)
    let background = try await BackgroundServices.make(config, clock: clock, logger: logger)
    let sweeper = background.sweeper
    var environment = APIEnvironment(
        store: background.opened.store, clock: clock, holdDuration: TimeInterval(config.holdSeconds),
        adminToken: config.adminToken, abuseGuard: background.abuseGuard, seatMaps: background.seatMaps,
        seatChanges: background.seatChanges, weights: background.external.weight,
        payments: background.external.payment, baggage: config.baggage, webhookSecret: config.webhookSecret,
        holdPlaced: { sweeper.holdPlaced($0) })
    let store = background.opened.store
    environment.metricsExposition = { Telemetry.exposition() }
    environment.liveEvents = config.liveEvents
    environment.webhookBudget = WebhookBudget(ratePerSecond: config.webhookRatePerSecond)
    environment.tracesRequests = config.traces != nil
    environment.seatMapTraces = config.traces.map { SeatMapTraces(every: $0.seatMapEvery) }
    environment.accessLog = config.accessLogEvery > 0 ? AccessLog(every: config.accessLogEvery) : nil
    environment.streamLimits = config.streamLimits
    let guardServices = FleetGuard.services(config, guardian: background.abuseGuard, store: store, clock: clock, logger: logger)
        + [JobGauges(store: store, clock: clock, logger: logger, started: background.storeReady)]
    let serverName = "SkyHigh"
    var app = Application(
        router: buildRouter(environment),
        server: skyHighServer(environment, serverName: serverName, connections: config.connections),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: serverName),
        services: background.services + [SeatMapWarmup(seatMaps: background.seatMaps, clock: clock, logger: logger,
                                                       started: background.storeReady)] + guardServices,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? config.port) },
        eventLoopGroupProvider: config.serverThreads == ProcessInfo.processInfo.activeProcessorCount
            ? .singleton : .shared(MultiThreadedEventLoopGroup(numberOfThreads: config.serverThreads)),
        logger: logger)
    app.beforeServerStarts { try await background.prepareStore() }
    return app
}

/// Runs the background services without an HTTP server (`skyhigh worker`).
/// `traces` is the trace export (``TraceExport``), if on: it runs first, so it stops last.
public func runWorker(_ config: Configuration, clock: any WallClock = StoreAlignedClock(local: SystemClock()),
                      traces: (any Service)? = nil) async throws {
    let logger = makeLogger(config)
    let background = try await BackgroundServices.make(config, clock: clock, logger: logger)
    let services = (traces.map { [$0] } ?? []) + background.services + [PreparesStore(background: background)]
    try await ServiceGroup(configuration: .bounded(services: services, logger: logger)).run()
}

/// Runs `serve`: the application until SIGTERM or SIGINT, then a graceful shutdown. `traces`
/// is the trace export (``TraceExport``), if on: it stops after the application, flushing.
public func runServer(_ app: some ApplicationProtocol, logger: Logger, traces: (any Service)? = nil) async throws {
    try await ServiceGroup(configuration: .bounded(services: (traces.map { [$0] } ?? []) + [app], logger: logger)).run()
}

extension ServiceGroupConfiguration {
    /// Stops on SIGTERM or SIGINT, gracefully (requests, jobs and sweeps in progress finish) but
    /// within bounds: a service still running after `graceful` is cancelled. A database that
    /// vanished (a failover) can leave a connection attempt that nothing answers, and the pool
    /// would wait for it for ever.
    static func bounded(services: [any Service], logger: Logger,
                        graceful: Duration = .seconds(10)) -> ServiceGroupConfiguration {
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger)
        configuration.maximumGracefulShutdownDuration = graceful
        configuration.maximumCancellationDuration = .seconds(5)
        return configuration
    }
}

/// Migrates once the store's services run, then waits for shutdown.
private struct PreparesStore: Service {
    let background: BackgroundServices

    func run() async throws {
        try await background.prepareStore()
        try? await gracefulShutdown()
    }
}
