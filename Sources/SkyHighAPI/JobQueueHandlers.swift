import Foundation
import SkyHighCore

/// The background job queue, for the admin: counts by state, the DEAD jobs, and a retry.
extension APIHandlers {
    func getJobs(_ input: Operations.GetJobs.Input) async throws -> Operations.GetJobs.Output {
        try context.requireAdmin()
        return .ok(.init(body: .json(.init(try await environment.store.jobOverview(deadLimit: 100)))))
    }

    func retryJob(_ input: Operations.RetryJob.Input) async throws -> Operations.RetryJob.Output {
        try context.requireAdmin()
        let id = try PathID.uuid(input.path.jobId, kind: "job-not-found", noun: "job")
        return .ok(.init(body: .json(.init(try await environment.store.retryDeadJob(id, at: environment.clock.now())))))
    }
}

extension Components.Schemas.Job {
    init(_ job: Job) {
        self.init(jobId: job.id.lowercased, kind: job.kind, state: job.state, attempts: job.attempts,
                  maxAttempts: job.maxAttempts, runAt: job.runAt, lastError: job.lastError, requestId: job.requestID,
                  createdAt: job.createdAt, updatedAt: job.updatedAt)
    }
}

extension Components.Schemas.Jobs {
    init(_ overview: JobOverview) {
        let count = { (state: JobState) in overview.counts[state] ?? 0 }
        self.init(counts: .init(queued: count(.queued), running: count(.running), retrying: count(.retrying),
                                succeeded: count(.succeeded), dead: count(.dead)),
                  dead: overview.dead.map(Components.Schemas.Job.init))
    }
}
