import Foundation
import Logging
import ServiceLifecycle
import SkyHighAPI
import SkyHighCore

/// Every few seconds, checks the cached seat maps' versions against the store and looks for news
/// on the followed flights: repairs whatever a lost signal (a dropped connection) missed.
final class SeatMapReconciler: Service {
    let seatMaps: SeatMapCache
    let seatChanges: SeatChangeHub
    let clock: any WallClock
    let logger: Logger
    let started: StartGate
    let interval: Duration

    init(seatMaps: SeatMapCache, seatChanges: SeatChangeHub, clock: any WallClock, logger: Logger, started: StartGate,
         interval: Duration = .seconds(5)) {
        self.seatMaps = seatMaps
        self.seatChanges = seatChanges
        self.clock = clock
        self.logger = logger
        self.started = started
        self.interval = interval
    }

    func run() async throws {
        await started.wait()
        await PacedLoop(clock: clock, wake: WakeSignal(), maximumIdle: interval, logger: logger, name: "seat map reconcile").run {
            try await self.seatMaps.reconcile()
            self.seatChanges.everythingChanged()
            return nil
        }
    }
}
