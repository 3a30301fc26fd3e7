import Foundation
import Logging
import ServiceLifecycle
import SkyHighAPI
import SkyHighCore

/// Marks HELD holds EXPIRED once their time is up and records the event. It sleeps until the
/// next expiry the store knows of (at most `maximumIdle`, which also picks up holds placed
/// through other instances) and is woken early when this instance places a hold.
///
/// Correctness never waits for it: an expired hold already counts as gone for every read and
/// write. The sweep makes the history and the state columns catch up.
public final class ExpirySweeper: Service {
    let store: any HoldStore
    let clock: any WallClock
    let logger: Logger
    let batchSize: Int
    let maximumIdle: Duration
    private let wake = WakeSignal()
    private let started: StartGate
    /// Called with each batch of holds the sweep expired.
    let onExpired: @Sendable ([Hold]) async -> Void

    public init(store: any HoldStore, clock: any WallClock, logger: Logger, started: StartGate = .open,
                batchSize: Int = 500, maximumIdle: Duration = .seconds(1),
                onExpired: @escaping @Sendable ([Hold]) async -> Void = { _ in }) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.started = started
        self.batchSize = batchSize
        self.maximumIdle = maximumIdle
        self.onExpired = onExpired
    }

    /// A hold was placed: its expiry may be sooner than the one being waited for.
    public func holdPlaced(_ hold: Hold) { wake.signal() }

    /// Expires everything due now; returns how many holds it expired.
    @discardableResult
    public func sweepOnce() async throws -> Int {
        var total = 0
        while true {
            let expired = try await store.expireHolds(at: clock.now(), limit: batchSize)
            total += expired.count
            DomainMetrics.hold(.expired, count: expired.count)
            if !expired.isEmpty {
                logger.debug("expired holds", metadata: ["count": "\(expired.count)"])
                await onExpired(expired)
            }
            if expired.count < batchSize { return total }
        }
    }

    public func run() async throws {
        await started.wait()
        await PacedLoop(clock: clock, wake: wake, maximumIdle: maximumIdle, logger: logger, name: "expiry sweep").run {
            try await self.sweepOnce()
            return try await self.store.nextHoldExpiry()
        }
    }
}
