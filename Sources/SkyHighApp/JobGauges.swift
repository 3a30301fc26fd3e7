import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SkyHighCore

/// Keeps `skyhigh_jobs{state}` (the job queue's depth by state) and
/// `skyhigh_jobs_oldest_waiting_age_seconds` current by reading the jobs table every `period`, so that a scrape of `/metrics` never scans a table: whoever scrapes, and
/// however often, the store pays one count per period per instance.
struct JobGauges: Service {
    let store: any JobStore
    let clock: any WallClock
    let logger: Logger
    let started: StartGate
    var period: Duration = .seconds(15)

    /// Counts once and records the gauges.
    func sample() async throws {
        Self.record(try await store.jobOverview(deadLimit: 0), at: clock.now())
    }

    /// The gauges at zero, until the first count.
    static func recordNothingWaiting() { record(JobOverview(counts: [:], dead: []), at: Date()) }

    private static func record(_ overview: JobOverview, at now: Date) {
        for state in JobState.allCases {
            Gauge(label: "skyhigh_jobs", dimensions: [("state", state.rawValue.lowercased())])
                .record(overview.counts[state, default: 0])
        }
        Gauge(label: "skyhigh_jobs_oldest_waiting_age_seconds").record(overview.oldestWait(at: now))
    }

    func run() async throws {
        await started.wait()
        await PacedLoop(clock: clock, wake: WakeSignal(), maximumIdle: period, logger: logger, name: "job gauges").run {
            try await sample()
            return nil
        }
    }
}
