import Foundation
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Synchronization
import Testing

/// The job queue's rules, on every store.
@Suite struct JobQueueConformanceTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    func job(_ n: Int, maxAttempts: Int? = nil, runAt: Date? = nil) -> NewJob {
        NewJob(kind: "test", payload: "{\"n\":\(n)}", runAt: runAt, maxAttempts: maxAttempts)
    }

    @Test(arguments: StoreKind.available)
    func claimCompleteAndDueTimes(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let now = Self.start
            let first = try await store.enqueue(job(1), requestID: "req-1", at: now)
            #expect(first.state == .queued && first.attempts == 0 && first.requestID == "req-1")
            _ = try await store.enqueue(job(2, runAt: now + 60), requestID: nil, at: now)
            #expect(try await store.nextJobDue() == now)
            // The oldest wait: the first job, due at `now`, has waited 45 s at `now + 45`.
            #expect(abs(try await store.jobOverview(deadLimit: 0).oldestWait(at: now + 45) - 45) < 0.01)
            let claimed = try await store.claimJobs(worker: "w1", at: now, lease: 30, limit: 10)
            #expect(claimed.map(\.id) == [first.id])
            #expect(claimed[0].state == .running && claimed[0].attempts == 1)
            #expect(try await store.claimJobs(worker: "w2", at: now, lease: 30, limit: 10).isEmpty)
            #expect(try await store.completeJob(first.id, worker: "w2", at: now) == false)
            #expect(try await store.completeJob(first.id, worker: "w1", at: now))
            #expect(try await store.job(first.id)?.state == .succeeded)
            #expect(try await store.claimJobs(worker: "w1", at: now + 59, lease: 30, limit: 10).isEmpty)
            #expect(try await store.claimJobs(worker: "w1", at: now + 60, lease: 30, limit: 10).count == 1)
        }
    }

    /// The trace context a job is enqueued in is stored with it, also by PostgreSQL's
    /// one-round-trip seat writes (which enqueue in PL/pgSQL); without one, none is stored.
    @Test(arguments: StoreKind.available)
    func jobsKeepTheTraceContextTheyWereEnqueuedIn(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(2)
            let now = fixtures.clock.now()
            let traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            var holds: [Hold] = []
            for (passenger, seat) in zip(passengers, ["1A", "1C"]) {
                holds.append(try await store.placeHold(flightID: FlightID("SH100")!, seatID: SeatID(seat)!,
                                                       passengerID: passenger, at: now, duration: 120))
            }
            try await RequestTrace.$id.withValue("req-traced") {
                try await RequestTrace.$traceParent.withValue(traceParent) {
                    _ = try await store.cancelHold(holds[0].id, by: passengers[0], at: now)
                    _ = try await store.enqueue(job(1), requestID: nil, at: now)
                }
            }
            try await RequestTrace.$traceParent.withValue(nil) {
                _ = try await store.cancelHold(holds[1].id, by: passengers[1], at: now)
            }
            let claimed = try await store.claimJobs(worker: "w1", at: now, lease: 30, limit: 10)
            let offers = claimed.filter { $0.kind == JobKind.offerSeat.rawValue }
            #expect(offers.count == 2)
            #expect(offers.filter { $0.traceParent == traceParent }.map(\.requestID) == ["req-traced"])
            #expect(offers.filter { $0.traceParent == nil }.count == 1)
            #expect(claimed.first { $0.kind == "test" }?.traceParent == traceParent)
        }
    }

    @Test(arguments: StoreKind.available)
    func aLeaseThatRunsOutLetsAnotherWorkerRetry(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let now = Self.start
            let queued = try await store.enqueue(job(1, maxAttempts: 2), requestID: nil, at: now)
            _ = try await store.claimJobs(worker: "dies", at: now, lease: 30, limit: 1)
            #expect(try await store.claimJobs(worker: "w2", at: now + 29, lease: 30, limit: 1).isEmpty)
            let reclaimed = try await store.claimJobs(worker: "w2", at: now + 30, lease: 30, limit: 1)
            #expect(reclaimed.map(\.id) == [queued.id])
            #expect(reclaimed.first?.attempts == 2)
            // The dead worker's late completion is refused: it no longer holds the job.
            #expect(try await store.completeJob(queued.id, worker: "dies", at: now + 31) == false)
            // Lease runs out again on the final attempt: the job is dead, not lost and not run a third time.
            #expect(try await store.claimJobs(worker: "w3", at: now + 60, lease: 30, limit: 1).isEmpty)
            let dead = try #require(try await store.job(queued.id))
            #expect(dead.state == .dead)
            #expect(dead.lastError?.contains("lease expired") == true)
        }
    }

    @Test(arguments: StoreKind.available)
    func failuresRetryWithBackoffThenDie(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            var now = Self.start
            let queued = try await store.enqueue(job(1, maxAttempts: 3), requestID: nil, at: now)
            let policy = RetryPolicy(base: 2, cap: 60)
            for attempt in 1...3 {
                let claimed = try await store.claimJobs(worker: "w", at: now, lease: 30, limit: 1)
                #expect(claimed.first?.attempts == attempt)
                let delay = policy.delay(afterAttempt: attempt, jitter: 1)
                let state = try await store.failJob(queued.id, worker: "w", error: "boom \(attempt)", retryAt: now + delay, at: now)
                #expect(state == (attempt < 3 ? .retrying : .dead))
                if attempt < 3 {
                    #expect(try await store.claimJobs(worker: "w", at: now + delay - 0.001, lease: 30, limit: 1).isEmpty)
                }
                now = now + delay
            }
            #expect(try await store.claimJobs(worker: "w", at: now + 3600, lease: 30, limit: 1).isEmpty)
            let overview = try await store.jobOverview(deadLimit: 10)
            #expect(overview.counts[.dead] == 1)
            #expect(overview.dead.first?.lastError == "boom 3")
            let retried = try await store.retryDeadJob(queued.id, at: now)
            #expect(retried.state == .queued && retried.attempts == 0)
            await #expect(throws: DomainError.jobNotDead(.queued)) { try await store.retryDeadJob(queued.id, at: now) }
            #expect(try await store.claimJobs(worker: "w", at: now, lease: 30, limit: 1).count == 1)
        }
    }

    @Test func backoffGrowsExponentiallyWithJitterAndACap() {
        let policy = RetryPolicy(base: 1, cap: 60)
        #expect(policy.delay(afterAttempt: 1, jitter: 1) == 1)
        #expect(policy.delay(afterAttempt: 3, jitter: 1) == 4)
        #expect(policy.delay(afterAttempt: 3, jitter: 0) == 2)
        #expect(policy.delay(afterAttempt: 30, jitter: 1) == 60)
    }

    @Test(arguments: StoreKind.available)
    func concurrentWorkersNeverClaimOneJobTwice(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let now = Self.start
            for n in 0..<120 { _ = try await store.enqueue(job(n), requestID: nil, at: now) }
            let claims = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var mine: [UUID] = []
                        while true {
                            let batch = try await store.claimJobs(worker: "w\(worker)", at: now, lease: 30, limit: 5)
                            if batch.isEmpty { return mine }
                            for job in batch { #expect(try await store.completeJob(job.id, worker: "w\(worker)", at: now)) }
                            mine += batch.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: [UUID]()) { $0 += $1 }
            }
            #expect(claims.count == 120)
            #expect(Set(claims).count == 120)
            #expect(try await store.jobOverview(deadLimit: 1).counts[.succeeded] == 120)
        }
    }

    @Test(arguments: StoreKind.available)
    func workFollowingAChangeIsEnqueuedWithItAndOnlyIfItCommits(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(2)
            let now = fixtures.clock.now()
            let baseline = try await store.jobOverview(deadLimit: 1).counts[.queued] ?? 0
            let hold = try await store.placeHold(flightID: FlightID("SH100")!, seatID: SeatID("1A")!, passengerID: passengers[0],
                                                 at: now, duration: 120)
            // A hold that fails (seat taken) rolls back whole: no job.
            await #expect(throws: DomainError.seatUnavailable(SeatID("1A")!)) {
                try await store.placeHold(flightID: FlightID("SH100")!, seatID: SeatID("1A")!, passengerID: passengers[1],
                                          at: now, duration: 120)
            }
            #expect(try await store.jobOverview(deadLimit: 1).counts[.queued] == baseline)
            _ = try await store.cancelHold(hold.id, by: passengers[0], at: now)
            let jobs = try await store.claimJobs(worker: "w", at: now, lease: 30, limit: 10)
            #expect(jobs.map(\.kind) == [JobKind.offerSeat.rawValue])
            #expect(jobs.first?.payload == #"{"flightId":"SH100","seatId":"1A"}"#)
        }
    }
}
