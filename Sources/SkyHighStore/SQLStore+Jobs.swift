import Foundation
import SkyHighCore

extension SQLStore {
    static let jobColumns = """
        job_id, kind, payload, state, run_at, attempts, max_attempts, last_error, request_id, trace_parent, created_at, updated_at,
        postponements
        """

    public func enqueue(_ job: NewJob, requestID: String?, at now: Date) async throws -> Job {
        let id = try await transaction { sql in try await enqueue(job, requestID: requestID, at: now, sql) }
        jobsEnqueued()
        guard let stored = try await self.job(id) else { throw DomainError.jobNotFound(id) }
        return stored
    }

    /// Adds a job inside the caller's transaction: it exists exactly when the change that calls
    /// for it commits.
    @discardableResult
    func enqueue(_ job: NewJob, requestID: String? = nil, at now: Date, _ sql: any SQLExecutor) async throws -> UUID {
        let id = ids()
        try await sql.run("""
            INSERT INTO jobs (job_id, kind, payload, state, run_at, attempts, max_attempts, request_id, trace_parent,
                              created_at, updated_at)
            VALUES (\(id), \(job.kind), \(job.payload), 'QUEUED', \(job.runAt ?? now), 0, \(Int64(job.maxAttempts ?? jobAttempts)), \(requestID ?? RequestTrace.id), \(RequestTrace.traceParent), \(now), \(now))
            """)
        try await sql.announce(.jobs, database.dialect)
        return id
    }

    public func claimJobs(worker: String, at now: Date, lease: TimeInterval, limit: Int) async throws -> [Job] {
        try await transaction { sql in
            // A worker that died after its final attempt leaves a lease that runs out: that job is dead.
            try await sql.run("""
                UPDATE jobs SET state = 'DEAD', locked_by = NULL, lease_until = NULL, updated_at = \(now),
                    last_error = COALESCE(last_error || '; ', '') || 'lease expired on the final attempt'
                WHERE state = 'RUNNING' AND lease_until <= \(now) AND attempts >= max_attempts
                """)
            return try await sql.run("""
                UPDATE jobs SET state = 'RUNNING', attempts = attempts + 1, locked_by = \(worker), lease_until = \(now + lease), updated_at = \(now)
                WHERE job_id IN (
                    SELECT job_id FROM jobs
                    WHERE (state IN ('QUEUED', 'RETRYING') AND run_at <= \(now)) OR (state = 'RUNNING' AND lease_until <= \(now))
                    ORDER BY run_at LIMIT \(Int64(limit))\(raw: database.dialect.claimUnlocked))
                RETURNING \(raw: Self.jobColumns)
                """).map { try $0.job() }
        }
    }

    public func completeJob(_ id: UUID, worker: String, at now: Date) async throws -> Bool {
        try await !run("""
            UPDATE jobs SET state = 'SUCCEEDED', locked_by = NULL, lease_until = NULL, updated_at = \(now)
            WHERE job_id = \(id) AND locked_by = \(worker) AND state = 'RUNNING'
            RETURNING job_id
            """).isEmpty
    }

    public func failJob(_ id: UUID, worker: String, error: String, retryAt: Date, at now: Date) async throws -> JobState? {
        try await run("""
            UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'DEAD' ELSE 'RETRYING' END,
                run_at = \(retryAt), last_error = \(String(error.prefix(2000))), locked_by = NULL, lease_until = NULL, updated_at = \(now)
            WHERE job_id = \(id) AND locked_by = \(worker) AND state = 'RUNNING'
            RETURNING state
            """)
            .first.flatMap { JobState(rawValue: try $0.string("state")) }
    }

    public func postponeJob(_ id: UUID, worker: String, reason: String, retryAt: Date, at now: Date) async throws -> Bool {
        try await !run("""
            UPDATE jobs SET state = 'RETRYING', attempts = attempts - 1, postponements = postponements + 1,
                run_at = \(retryAt), last_error = \(String(reason.prefix(2000))), locked_by = NULL, lease_until = NULL, updated_at = \(now)
            WHERE job_id = \(id) AND locked_by = \(worker) AND state = 'RUNNING'
            RETURNING job_id
            """).isEmpty
    }

    public func job(_ id: UUID) async throws -> Job? {
        try await run("SELECT \(raw: Self.jobColumns) FROM jobs WHERE job_id = \(id)").first?.job()
    }

    public func jobOverview(deadLimit: Int) async throws -> JobOverview {
        var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for row in try await run("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
            if let state = JobState(rawValue: try row.string("state")) { counts[state] = Int(try row.int("n")) }
        }
        let dead = try await run("""
            SELECT \(raw: Self.jobColumns) FROM jobs WHERE state = 'DEAD' ORDER BY updated_at DESC LIMIT \(Int64(deadLimit))
            """).map { try $0.job() }
        let earliest = try await run("SELECT MIN(run_at) AS earliest FROM jobs WHERE state IN ('QUEUED', 'RETRYING')")
            .first?.optionalDate("earliest")
        return JobOverview(counts: counts, dead: dead, earliestRunAt: earliest)
    }

    public func retryDeadJob(_ id: UUID, at now: Date) async throws -> Job {
        let retried = try await transaction { sql in
            guard let job = try await sql.run("SELECT \(raw: Self.jobColumns) FROM jobs WHERE job_id = \(id)\(raw: database.dialect.lockForUpdate)").first?.job()
            else { throw DomainError.jobNotFound(id) }
            guard job.state == .dead else { throw DomainError.jobNotDead(job.state) }
            try await sql.run("""
                UPDATE jobs SET state = 'QUEUED', attempts = 0, run_at = \(now), updated_at = \(now) WHERE job_id = \(id) AND state = 'DEAD'
                """)
            try await sql.announce(.jobs, database.dialect)
            return id
        }
        jobsEnqueued()
        guard let job = try await job(retried) else { throw DomainError.jobNotFound(id) }
        return job
    }

    public func nextJobDue() async throws -> Date? {
        try await run("""
            SELECT MIN(run_at) AS next FROM jobs WHERE state IN ('QUEUED', 'RETRYING')
            """).first?.optionalDate("next")
    }
}

extension SQLRow {
    func job() throws -> Job {
        Job(id: try uuid("job_id"), kind: try string("kind"), payload: try string("payload"),
            state: try parsed("state", JobState.init(rawValue:), expected: "a job state"),
            runAt: try date("run_at"), attempts: Int(try int("attempts")), maxAttempts: Int(try int("max_attempts")),
            lastError: try optionalString("last_error"), requestID: try optionalString("request_id"),
            traceParent: try optionalString("trace_parent"), createdAt: try date("created_at"), updatedAt: try date("updated_at"),
            postponements: Int(try int("postponements")))
    }
}
