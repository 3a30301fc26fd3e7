import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SkyHighAPI
import SkyHighCore

/// Keeps the abuse guard's blocks equal to the store's: at start, whenever any instance blocks
/// or unblocks a client (woken through the store's signal), and every `maximumIdle` as a safety net.
final class BlockSync: Service {
    let store: any AbuseStore
    let guardian: AbuseGuard
    let clock: any WallClock
    let logger: Logger
    let wake: WakeSignal
    let started: StartGate
    let maximumIdle: Duration
    /// Told after every reload (tests wait on it).
    let reloaded: @Sendable () -> Void

    init(store: any AbuseStore, guardian: AbuseGuard, clock: any WallClock, logger: Logger, wake: WakeSignal,
         started: StartGate, maximumIdle: Duration = .seconds(10), reloaded: @escaping @Sendable () -> Void = {}) {
        self.reloaded = reloaded
        self.store = store
        self.guardian = guardian
        self.clock = clock
        self.logger = logger
        self.wake = wake
        self.started = started
        self.maximumIdle = maximumIdle
    }

    private let activeBlocks = Gauge(label: "skyhigh_abuse_active_blocks")

    func reload() async throws {
        guardian.setBlocks(try await store.activeBlocks(at: clock.now()))
        activeBlocks.record(guardian.activeBlocks(at: clock.now()))
        reloaded()
    }

    func run() async throws {
        await started.wait()
        await PacedLoop(clock: clock, wake: wake, maximumIdle: maximumIdle, logger: logger, name: "block sync").run {
            try await self.reload()
            return nil
        }
    }
}
