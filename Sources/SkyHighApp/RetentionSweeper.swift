import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SkyHighCore

/// Purges rows that have served their purpose (expired sessions, idempotency records, finished
/// jobs, delivered notifications, old payment events) once they are older than their configured
/// age, in bounded batches: one statement deletes at most ``RetentionPolicy/batchSize`` rows,
/// and a round at most ``RetentionPolicy/batchesPerRound`` statements per kind of row.
/// `skyhigh_rows_purged_total{table}` counts what went.
struct RetentionSweeper: Service {
    let store: any MaintenanceStore
    let clock: any WallClock
    let logger: Logger
    let started: StartGate
    var settings = MaintenanceSettings()

    /// One round; answers the rows purged of each kind.
    @discardableResult
    func runOnce() async throws -> [RetainedRecord: Int] {
        let policy = settings.retention
        let now = clock.now()
        var purged: [RetainedRecord: Int] = [:]
        for record in RetainedRecord.allCases {
            var total = 0
            for _ in 0..<policy.batchesPerRound {
                let count = try await store.purge(record, before: policy.cutoff(record, now: now), limit: policy.batchSize)
                total += count
                if count < policy.batchSize { break }
            }
            purged[record] = total
            guard total > 0 else { continue }
            Counter(label: "skyhigh_rows_purged_total", dimensions: [("table", record.rawValue)]).increment(by: total)
            logger.info("purged old rows", metadata: ["table": "\(record.rawValue)", "rows": "\(total)"])
        }
        return purged
    }

    func run() async throws {
        await started.wait()
        await PacedLoop(clock: clock, wake: WakeSignal(), maximumIdle: settings.retentionInterval, logger: logger,
                        name: "retention").run {
            try await runOnce()
            return nil
        }
    }
}
