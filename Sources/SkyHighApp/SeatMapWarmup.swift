import Logging
import ServiceLifecycle
import SkyHighAPI
import SkyHighCore

/// Once the store is ready, builds the seat maps of the flights departing soonest, so that the
/// first reads after a start (a deploy in the middle of an on-sale peak) are answered from
/// memory. Runs in `serve` only: a worker serves no seat maps.
struct SeatMapWarmup: Service {
    let seatMaps: SeatMapCache
    let clock: any WallClock
    let logger: Logger
    let started: StartGate

    func run() async throws {
        await started.wait()
        let start = ContinuousClock.now
        do {
            let built = try await cancelWhenGracefulShutdown { try await seatMaps.warm(at: clock.now()) }
            logger.info("seat maps in memory", metadata: ["flights": "\(built.count)", "took": "\(ContinuousClock.now - start)"])
        } catch is CancellationError {
            return
        } catch {
            logger.warning("could not build seat maps ahead of reads", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
    }
}
