import Foundation
import Logging
import Metrics
import ServiceLifecycle
import SkyHighAPI
import SkyHighCore
import Tracing

/// Runs jobs from the store's queue: claims due jobs under a lease, runs each kind's handler,
/// and records success, a retry with backoff, or death once the attempts are used up. Several
/// workers, in one process or many, never run one job at the same time; a worker that dies
/// mid-job leaves a lease that runs out, and the job runs again elsewhere. With `traced`, each
/// run is a consumer span in the trace the job was enqueued in (a child of the span that
/// enqueued it), and the jobs it enqueues join that trace in turn.
public final class JobWorker: Service {
    public typealias Handler = @Sendable (Job) async throws -> Void

    let store: any JobStore
    let clock: any WallClock
    let logger: Logger
    let handlers: [JobKind: Handler]
    let name: String
    let concurrency: Int
    let lease: TimeInterval
    let retryPolicy: RetryPolicy
    let maximumIdle: Duration
    let traced: Bool
    private let wake: WakeSignal
    private let started: StartGate

    public init(store: any JobStore, clock: any WallClock, logger: Logger, handlers: [JobKind: Handler],
                name: String = JobWorker.defaultName(), concurrency: Int = 4, lease: TimeInterval = 30,
                retryPolicy: RetryPolicy = RetryPolicy(), maximumIdle: Duration = .seconds(1), started: StartGate = .open,
                wake: WakeSignal = WakeSignal(), traced: Bool = false) {
        self.traced = traced
        self.wake = wake
        self.store = store
        self.clock = clock
        self.logger = logger
        self.handlers = handlers
        self.name = name
        self.concurrency = concurrency
        self.lease = lease
        self.retryPolicy = retryPolicy
        self.maximumIdle = maximumIdle
        self.started = started
    }

    public static func defaultName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
    }

    /// New work may be due: stop waiting.
    public func jobsEnqueued() { wake.signal() }

    /// Claims and runs one batch; returns how many jobs it ran.
    @discardableResult
    public func runOnce() async throws -> Int {
        let jobs = try await store.claimJobs(worker: name, at: clock.now(), lease: lease, limit: concurrency)
        await withTaskGroup(of: Void.self) { group in
            for job in jobs {
                group.addTask { await self.run(job) }
            }
        }
        return jobs.count
    }

    /// Runs jobs until nothing is due, or until graceful shutdown (the jobs in progress finish;
    /// nothing new is claimed). Up to `concurrency` run at once, and free slots are filled as soon
    /// as half of them are free: one slow job never holds back the others, as a batch run in step
    /// would, and a claim (a commit) still takes several jobs.
    /// A claim that fails lets the jobs in progress finish before its error is thrown.
    public func drain() async throws {
        var failure: (any Error)?
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            while !Task.isShuttingDownGracefully {
                do {
                    let jobs = try await store.claimJobs(worker: name, at: clock.now(), lease: lease,
                                                         limit: concurrency - running)
                    for job in jobs { group.addTask { await self.run(job) } }
                    running += jobs.count
                } catch {
                    failure = error
                    break
                }
                guard running > 0 else { break }
                // Claim again once half the slots are free: a claim is a commit, worth a few jobs.
                repeat {
                    await group.next()
                    running -= 1
                } while running > concurrency / 2
            }
        }
        if let failure { throw failure }
    }

    private func run(_ job: Job) async {
        guard traced else {
            await perform(job)
            return
        }
        let parent = job.traceParent.map(TraceContext.context(traceParent:)) ?? .topLevel
        let span = startSpan("job \(job.kind)", context: parent, ofKind: .consumer)
        span.attributes["skyhigh.job.kind"] = job.kind
        span.attributes["skyhigh.job.id"] = job.id.uuidString.lowercased()
        span.attributes["skyhigh.job.attempt"] = job.attempts
        if let requestID = job.requestID { span.attributes["skyhigh.request_id"] = requestID }
        let succeeded = await TraceContext.within(span) { await perform(job) }
        if !succeeded { span.setStatus(SpanStatus(code: .error)) }
        span.end()
    }

    /// Runs the job's handler and records the outcome; answers whether it succeeded.
    @discardableResult
    private func perform(_ job: Job) async -> Bool {
        var logger = self.logger
        logger[metadataKey: "job"] = "\(job.id.uuidString.lowercased())"
        logger[metadataKey: "job_kind"] = "\(job.kind)"
        if let requestID = job.requestID { logger[metadataKey: "request_id"] = "\(requestID)" }
        let started = DispatchTime.now().uptimeNanoseconds
        defer {
            Timer(label: "skyhigh_job_duration_seconds", dimensions: [("kind", JobKind(rawValue: job.kind)?.rawValue ?? "unknown")])
                .recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
        }
        do {
            guard let handler = JobKind(rawValue: job.kind).flatMap({ handlers[$0] }) else { throw UnknownJobKind(kind: job.kind) }
            try await handler(job)
            try await store.completeJob(job.id, worker: name, at: clock.now())
            logger.debug("job succeeded", metadata: ["attempt": "\(job.attempts)"])
            return true
        } catch let outage as ServiceUnavailableError {
            // The service is down, not the job wrong: wait for it without using up an attempt.
            let delay = retryPolicy.delay(afterAttempt: job.postponements + 1, jitter: Double.random(in: 0..<1))
            let kept = try? await store.postponeJob(job.id, worker: name, reason: "\(outage)",
                                                    retryAt: clock.now() + delay, at: clock.now())
            JobMetrics.postponed.increment()
            logger.info("job postponed", metadata: ["postponements": "\(job.postponements + 1)", "error": "\(outage)",
                                                    "retry_in_seconds": "\(Int(delay))", "lease_kept": "\(kept ?? false)"])
            return false
        } catch {
            let delay = retryPolicy.delay(afterAttempt: job.attempts, jitter: Double.random(in: 0..<1))
            let state = try? await store.failJob(job.id, worker: name, error: "\(error)",
                                                 retryAt: clock.now() + delay, at: clock.now())
            logger.warning("job failed", metadata: ["attempt": "\(job.attempts)", "error": "\(error)",
                                                    "now": "\(state?.rawValue ?? "lease lost")"])
            if state == .dead {
                JobMetrics.died.increment()
                logger.warning("job dead: it will not run again until an admin retries it (POST /admin/jobs/{jobId}/retry)",
                               metadata: ["attempts": "\(job.attempts)", "error": "\(error)"])
            }
            return false
        }
    }

    public func run() async throws {
        await started.wait()
        await PacedLoop(clock: clock, wake: wake, maximumIdle: maximumIdle, logger: logger, name: "job worker").run {
            try await self.drain()
            return try await self.store.nextJobDue()
        }
    }
}

/// Jobs that died and jobs put off by an outage, as they happen (`skyhigh_jobs{state}` counts
/// the queue as it stands).
enum JobMetrics {
    static let died = Counter(label: "skyhigh_jobs_died_total")
    static let postponed = Counter(label: "skyhigh_jobs_postponed_total")
}

struct UnknownJobKind: Error, CustomStringConvertible {
    let kind: String
    var description: String { "no handler for job kind \(kind)" }
}
