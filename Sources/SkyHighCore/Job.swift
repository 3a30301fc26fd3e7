import Foundation

public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued = "QUEUED"
    case running = "RUNNING"
    case retrying = "RETRYING"
    case succeeded = "SUCCEEDED"
    case dead = "DEAD"
}

/// A unit of background work, kept in the store so it survives restarts and is shared by every
/// worker. Handlers must be idempotent: a job may run again after a worker died mid-run.
public struct Job: Sendable, Equatable {
    public let id: UUID
    public let kind: String
    /// JSON.
    public let payload: String
    public let state: JobState
    public let runAt: Date
    /// Runs started so far, including the current one.
    public let attempts: Int
    public let maxAttempts: Int
    public let lastError: String?
    /// The request that caused the job, for tracing through the logs.
    public let requestID: String?
    /// The W3C `traceparent` of the span that enqueued the job, when traces were on: the job's
    /// span joins that trace.
    public let traceParent: String?
    public let createdAt: Date
    public let updatedAt: Date
    /// Runs put off because an external service was down (they do not count as attempts).
    public let postponements: Int

    public init(id: UUID, kind: String, payload: String, state: JobState, runAt: Date, attempts: Int,
                maxAttempts: Int, lastError: String?, requestID: String?, traceParent: String? = nil,
                createdAt: Date, updatedAt: Date, postponements: Int = 0) {
        self.postponements = postponements
        self.id = id
        self.kind = kind
        self.payload = payload
        self.state = state
        self.runAt = runAt
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.lastError = lastError
        self.requestID = requestID
        self.traceParent = traceParent
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Work to enqueue, usually in the same transaction as the change that calls for it.
public struct NewJob: Sendable, Equatable {
    public let kind: String
    public let payload: String
    public let runAt: Date?
    /// `nil`: the store's configured number.
    public let maxAttempts: Int?

    public init(kind: String, payload: String, runAt: Date? = nil, maxAttempts: Int? = nil) {
        self.kind = kind
        self.payload = payload
        self.runAt = runAt
        self.maxAttempts = maxAttempts
    }
}

/// When a failed job runs again: exponential backoff with jitter, capped.
public struct RetryPolicy: Sendable, Equatable {
    public var base: TimeInterval
    public var cap: TimeInterval

    public init(base: TimeInterval = 1, cap: TimeInterval = 300) {
        self.base = base
        self.cap = cap
    }

    /// The delay after failed attempt number `attempt` (1-based); `jitter` in 0..<1 spreads
    /// retries of jobs that failed together over the upper half of the window.
    public func delay(afterAttempt attempt: Int, jitter: Double) -> TimeInterval {
        let exponential = min(cap, base * pow(2, Double(max(0, attempt - 1))))
        return exponential * (0.5 + 0.5 * min(max(jitter, 0), 1))
    }
}

/// Counts by state and the jobs that gave up, for operators.
public struct JobOverview: Sendable, Equatable {
    public let counts: [JobState: Int]
    public let dead: [Job]
    /// When the earliest of the jobs waiting to run (queued or retrying) is due; in the future
    /// when none is due yet.
    public let earliestRunAt: Date?

    public init(counts: [JobState: Int], dead: [Job], earliestRunAt: Date? = nil) {
        self.counts = counts
        self.dead = dead
        self.earliestRunAt = earliestRunAt
    }

    /// How long the job that has waited longest past its due time has waited at `now`.
    public func oldestWait(at now: Date) -> TimeInterval {
        earliestRunAt.map { max(0, now.timeIntervalSince($0)) } ?? 0
    }
}
