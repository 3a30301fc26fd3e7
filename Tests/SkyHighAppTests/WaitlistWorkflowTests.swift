import Foundation
import Logging
import ServiceLifecycle
import SkyHighAPI
import SkyHighApp
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Synchronization
import Testing

/// Cancel or expiry, then the queue, then the waitlist: the whole chain through the worker.
@Suite struct WaitlistWorkflowTests {
    static let flight = FlightID("SH100")!

    final class RecordingSender: NotificationSender {
        let sent = Mutex<[OutboxMessage]>([])
        func send(_ message: OutboxMessage) async throws { sent.withLock { $0.append(message) } }
    }

    func worker(_ store: SQLStore, clock: any WallClock, sender: any NotificationSender) -> JobWorker {
        JobWorker(store: store, clock: clock, logger: Logger(label: "test"),
                  handlers: JobHandlers.all(store: store, clock: clock, notifier: sender, payments: NoExternalServices(),
                                            baggage: BaggagePolicy(), logger: Logger(label: "test")))
    }

    @Test(arguments: StoreKind.available)
    func aCancelledSeatGoesToTheWaitlistedPassengerAndTheyAreNotified(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight(type: "A320")
            let seats = try AircraftLayout.builtIn["A320"]!.seats().map(\.id)
            let holders = try await fixtures.passengers(seats.count)
            var holds: [Hold] = []
            for (seat, passenger) in zip(seats, holders) {
                let hold = try await store.placeHold(flightID: Self.flight, seatID: seat, passengerID: passenger,
                                                     at: fixtures.clock.now(), duration: 120)
                holds.append(try await store.confirmHold(hold.id, by: passenger, at: fixtures.clock.now()))
            }
            let waiting = try await fixtures.passengers(1)[0]
            let entry = try await store.joinWaitlist(flightID: Self.flight, passengerID: waiting, preferences: SeatPreferences(),
                                                     at: fixtures.clock.now())
            let sender = RecordingSender()
            let worker = worker(store, clock: fixtures.clock, sender: sender)
            _ = try await store.cancelHold(holds[7].id, by: holds[7].passengerID, at: fixtures.clock.now())
            try await worker.drain()
            let assigned = try #require(try await store.waitlistEntry(entry.id))
            #expect(assigned.state == .assigned && assigned.seatID == holds[7].seatID)
            #expect(try await store.seatMap(Self.flight, at: fixtures.clock.now())?.state(of: holds[7].seatID) == .confirmed)
            #expect(sender.sent.withLock { $0.map(\.kind) } == ["SEAT_ASSIGNED"])
            #expect(try await store.outboxMessages(for: waiting).allSatisfy { $0.deliveredAt != nil })
            // Running every job again changes nothing.
            try await worker.drain()
            #expect(sender.sent.withLock { $0.count } == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func anExpiredHoldGoesToTheWaitlistAfterTheSweep(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let seats = try AircraftLayout.builtIn["A320"]!.seats().map(\.id)
            let holders = try await fixtures.passengers(seats.count)
            for (index, (seat, passenger)) in zip(seats, holders).enumerated() {
                let hold = try await store.placeHold(flightID: Self.flight, seatID: seat, passengerID: passenger,
                                                     at: fixtures.clock.now(), duration: 120)
                if index != 0 { _ = try await store.confirmHold(hold.id, by: passenger, at: fixtures.clock.now()) }
            }
            let waiting = try await fixtures.passengers(1)[0]
            let entry = try await store.joinWaitlist(flightID: Self.flight, passengerID: waiting, preferences: SeatPreferences(),
                                                     at: fixtures.clock.now())
            #expect(entry.state == .waiting)
            let sender = RecordingSender()
            let worker = worker(store, clock: fixtures.clock, sender: sender)
            let sweeper = ExpirySweeper(store: store, clock: fixtures.clock, logger: Logger(label: "test"))
            fixtures.clock.advance(by: 120)
            #expect(try await sweeper.sweepOnce() == 1)
            try await worker.drain()
            #expect(try await store.waitlistEntry(entry.id)?.seatID == seats[0])
            #expect(Set(sender.sent.withLock { $0.map(\.kind) }) == ["HOLD_EXPIRED", "SEAT_ASSIGNED"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aFailingHandlerIsRetriedThenDies(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let clock = ManualClock()
            let job = try await store.enqueue(NewJob(kind: JobKind.closeWaitlist.rawValue, payload: "{}", maxAttempts: 3), requestID: "r1", at: clock.now())
            let runs = Mutex(0)
            let worker = JobWorker(store: store, clock: clock, logger: Logger(label: "test"),
                                   handlers: [.closeWaitlist: { _ in
                                       runs.withLock { $0 += 1 }
                                       throw CancellationError()
                                   }], retryPolicy: RetryPolicy(base: 10, cap: 10))
            for _ in 0..<3 {
                try await worker.drain()
                clock.advance(by: 10)
            }
            try await worker.drain()
            #expect(runs.withLock { $0 } == 3)
            let dead = try #require(try await store.job(job.id))
            #expect(dead.state == .dead && dead.attempts == 3 && dead.lastError != nil)
        }
    }

    /// A job that takes long holds one of the worker's slots, not all of them: the jobs behind it
    /// run in the other slot meanwhile.
    @Test(arguments: StoreKind.available)
    func aSlowJobHoldsOneSlotWhileTheOthersRun(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let clock = ManualClock()
            _ = try await store.enqueue(NewJob(kind: JobKind.closeWaitlist.rawValue, payload: "slow"), requestID: nil, at: clock.now())
            for n in 0..<5 {
                clock.advance(by: 1)
                _ = try await store.enqueue(NewJob(kind: JobKind.closeWaitlist.rawValue, payload: "quick \(n)"), requestID: nil,
                                            at: clock.now())
            }
            let ran = Observed<String>()
            let release = WakeSignal()
            let worker = JobWorker(store: store, clock: clock, logger: Logger(label: "test"),
                                   handlers: [.closeWaitlist: { job in
                                       if job.payload == "slow" { _ = await release.wait(upTo: .seconds(30)) }
                                       ran.report(job.payload)
                                   }], concurrency: 2)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await worker.drain() }
                let quickOnesRan = await ran.wait(within: .seconds(20)) { $0.count == 5 }
                #expect(quickOnesRan, "ran while the slow job waited: \(ran.all)")
                #expect(!ran.all.contains("slow"))
                release.signal()
                try await tasks.waitForAll()
            }
            #expect(ran.all.count == 6 && ran.all.last == "slow")
            #expect(try await store.jobOverview(deadLimit: 0).counts[.succeeded] == 6)
        }
    }

    /// Graceful shutdown while a job runs: the job finishes (it is not cancelled half-way), is
    /// recorded as done, and the worker then stops.
    @Test func gracefulShutdownLetsTheRunningJobFinish() async throws {
        try await withStore(.sqlite) { store in
            let clock = SystemClock()
            let job = try await store.enqueue(NewJob(kind: JobKind.closeWaitlist.rawValue, payload: "{}"), requestID: nil, at: clock.now())
            let started = Observed<Bool>()
            let release = WakeSignal()
            let worker = JobWorker(store: store, clock: clock, logger: Logger(label: "test"),
                                   handlers: [.closeWaitlist: { _ in
                                       started.report(true)
                                       _ = await release.wait(upTo: .seconds(5))
                                       try Task.checkCancellation()
                                   }])
            let group = ServiceGroup(configuration: .init(services: [worker], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                #expect(await started.wait(within: .seconds(5)) { !$0.isEmpty })
                await group.triggerGracefulShutdown()
                release.signal()
                try await tasks.waitForAll()
            }
            #expect(try await store.job(job.id)?.state == .succeeded)
        }
    }

    /// The running services on the real clock: a cancel reaches the waitlisted passenger because
    /// the enqueue wakes the worker, not because it polls.
    @Test(arguments: StoreKind.available)
    func theRunningWorkerIsWokenByTheCancel(kind: StoreKind) async throws {
        try await withStore(kind) { base in
            let clock = SystemClock()
            let doorbell = WakeSignal()
            let store = SQLStore(database: base.database, signals: StoreSignals(jobsEnqueued: { doorbell.signal() }))
            let fixtures = Fixtures(store: store, clock: ManualClock(clock.now()))
            try await fixtures.flight(departsIn: 86_400 * 365)
            let seats = try AircraftLayout.builtIn["A320"]!.seats().map(\.id)
            let holders = try await fixtures.passengers(seats.count)
            var last: Hold?
            for (seat, passenger) in zip(seats, holders) {
                let hold = try await store.placeHold(flightID: Self.flight, seatID: seat, passengerID: passenger,
                                                     at: clock.now(), duration: 600)
                last = try await store.confirmHold(hold.id, by: passenger, at: clock.now())
            }
            let waiting = try await fixtures.passengers(1)[0]
            let entry = try await store.joinWaitlist(flightID: Self.flight, passengerID: waiting, preferences: SeatPreferences(),
                                                     at: clock.now())
            let assignments = Observed<Date>()
            let handlers = JobHandlers.all(store: store, clock: clock, notifier: RecordingSender(), payments: NoExternalServices(),
                                           baggage: BaggagePolicy(), logger: Logger(label: "test"))
            let offer = try #require(handlers[JobKind.offerSeat])
            let worker = JobWorker(store: store, clock: clock, logger: Logger(label: "test"), handlers: handlers.merging([
                JobKind.offerSeat: { job in
                    try await offer(job)
                    if try await store.waitlistEntry(entry.id)?.state == .assigned { assignments.report(Date()) }
                },
            ]) { _, new in new }, maximumIdle: .seconds(3_600), wake: doorbell)
            try await worker.drain()
            let group = ServiceGroup(configuration: .init(services: [worker], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let hold = try #require(last)
                let cancelledAt = Date()
                _ = try await store.cancelHold(hold.id, by: hold.passengerID, at: clock.now())
                // The worker idles for an hour: only the cancel's doorbell can wake it in time. The
                // generous bound keeps a loaded machine from failing this; how fast the wake-up is
                // is the benchmark's business, not a unit test's.
                #expect(await assignments.wait(within: .seconds(60)) { !$0.isEmpty })
                let when = try #require(assignments.all.first)
                #expect(when.timeIntervalSince(cancelledAt) < 60)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
