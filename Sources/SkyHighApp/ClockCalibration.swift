import Foundation
import Logging
import ServiceLifecycle
import SkyHighCore

/// Keeps a ``StoreAlignedClock`` on the store's time: measured once before the process serves
/// (``BackgroundServices/prepareStore()``), then every `interval`, so instances whose own clocks
/// disagree still agree on when every hold expires. A clock more than a second off is logged.
struct ClockCalibration: Service {
    let clock: StoreAlignedClock
    let store: any SkyHighStore
    let logger: Logger
    let started: StartGate
    var interval: Duration = .seconds(30)

    func calibrate() async throws {
        let offset = try await clock.calibrate { try await store.storeTime() }
        if abs(offset) > 1 {
            logger.warning("this instance's clock differs from the store's; using the store's",
                           metadata: ["offset_seconds": "\(String(format: "%.3f", offset))"])
        }
    }

    func run() async throws {
        await started.wait()
        await PacedLoop(clock: clock, wake: WakeSignal(), maximumIdle: interval, logger: logger,
                        name: "clock calibration").run {
            try await calibrate()
            return nil
        }
    }
}
