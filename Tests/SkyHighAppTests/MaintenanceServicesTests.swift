import Foundation
import Logging
import SkyHighAPI
@testable import SkyHighApp
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Synchronization
import Testing

/// The repair, the retention purge and the worker's handling of outages, on every store, by
/// the injected clock.
@Suite struct MaintenanceServicesTests {
    static let flight = FlightID("SH100")!
    static let policy = BaggagePolicy()

    /// A Payment service that is down until told otherwise, then reports intents as succeeded.
    final class FlakyPayments: PaymentService {
        let down = Mutex(true)
        func createIntent(_ request: PaymentIntentRequest) async throws -> PaymentIntent {
            throw ServiceUnavailableError(.payment, "not used by these tests")
        }
        func intent(_ id: String) async throws -> PaymentIntent? {
            if down.withLock({ $0 }) { throw ServiceUnavailableError(.payment, "connection refused") }
            return PaymentIntent(id: id, amount: Money(amount: 5_000, currency: "EUR"), status: .succeeded)
        }
    }

    /// A check-in with a confirmed seat, waiting for intent `pi_1`.
    func waitingCheckIn(_ store: SQLStore, _ fixtures: Fixtures) async throws -> CheckIn {
        try await fixtures.flight()
        let passenger = try await fixtures.passengers(1)[0]
        let now = fixtures.clock.now()
        let hold = try await store.placeHold(flightID: Self.flight, seatID: SeatID("3C")!, passengerID: passenger, at: now, duration: 120)
        _ = try await store.confirmHold(hold.id, by: passenger, at: now)
        let started = try await store.startCheckIn(flightID: Self.flight, passengerID: passenger, at: now).checkIn
        let bag = Bag(tag: BagTag("HEAVY1")!, declaredGrams: nil, weightGrams: 30_000, addedAt: now)
        let added = try CheckInRules.addBags([bag], to: started, policy: Self.policy, now: now)
        let update = CheckInRules.attach(PaymentIntent(id: "pi_1", amount: Money(amount: 5_000, currency: "EUR"), status: .pending),
                                         to: added, policy: Self.policy, now: now)
        return try await store.saveCheckIn(update, expectedRevision: started.revision, at: now)
    }

    func worker(_ store: SQLStore, _ clock: ManualClock, payments: any PaymentService, maxAttempts: Int = 2) -> JobWorker {
        JobWorker(store: store, clock: clock, logger: Logger(label: "test"),
                  handlers: JobHandlers.all(store: store, clock: clock, notifier: LoggingNotificationSender(logger: Logger(label: "test")),
                                            payments: payments, baggage: Self.policy, logger: Logger(label: "test")))
    }

    @Test(arguments: StoreKind.available)
    func anOutageBacksOffWithoutUsingUpAttemptsAndThePaymentIsReconciledAfter(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            let clock = fixtures.clock
            let waiting = try await waitingCheckIn(store, fixtures)
            let payments = FlakyPayments()
            let worker = worker(store, clock, payments: payments)
            // Far more rounds than the job has attempts (10), while the service is down.
            var delays: [TimeInterval] = []
            for _ in 0..<15 {
                let due = try #require(try await store.nextJobDue())
                clock.advance(by: max(0, due.timeIntervalSince(clock.now())) + 0.001)
                let before = clock.now()
                #expect(try await worker.runOnce() >= 1)
                if let next = try await store.nextJobDue() { delays.append(next.timeIntervalSince(before)) }
            }
            let job = try #require(try await store.jobOverview(deadLimit: 10).counts[.dead] == 0 ? store.claimJobs(
                worker: "peek", at: clock.now() + 86_400, lease: 1, limit: 10).first { $0.kind == JobKind.reconcilePayment.rawValue } : nil)
            #expect(job.postponements == 15)
            #expect(job.attempts == 1, "claimed once more just now; the outage used none")
            #expect(delays.last! > delays.first!, "the waits grow while the service stays down")
            #expect(delays.allSatisfy { $0 <= RetryPolicy().cap })
            _ = try await store.postponeJob(job.id, worker: "peek", reason: "handed back", retryAt: clock.now(), at: clock.now())
            payments.down.withLock { $0 = false }
            #expect(try await worker.runOnce() == 1)
            #expect(try await store.checkIn(waiting.id)?.state == .completed)
        }
    }

    @Test(arguments: StoreKind.available)
    func theRepairReconcilesAPaymentWhoseJobDied(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            let clock = fixtures.clock
            let waiting = try await waitingCheckIn(store, fixtures)
            // The queued reconciliation dies (a bug, an operator's mistake: not an outage).
            let later = clock.now() + 600
            let job = try #require(try await store.claimJobs(worker: "w", at: later, lease: 30, limit: 10).first)
            for _ in 0..<job.maxAttempts {
                if try await store.failJob(job.id, worker: "w", error: "boom", retryAt: later, at: later) == .dead { break }
                _ = try await store.claimJobs(worker: "w", at: later, lease: 30, limit: 10)
            }
            #expect(try await store.job(job.id)?.state == .dead)
            var settings = MaintenanceSettings()
            settings.paymentReconcileAfter = 900
            let repair = RepairService(store: store, clock: clock, logger: Logger(label: "test"), started: .open, settings: settings)
            clock.advance(by: 600)
            #expect(try await repair.runOnce() == RepairService.Round(), "not pending long enough yet")
            clock.advance(by: 300)
            #expect(try await repair.runOnce() == RepairService.Round(seatsOffered: 0, reconciliationsQueued: 1))
            #expect(try await repair.runOnce() == RepairService.Round(), "one live job is enough")
            let payments = FlakyPayments()
            payments.down.withLock { $0 = false }
            #expect(try await worker(store, clock, payments: payments).runOnce() == 1)
            #expect(try await store.checkIn(waiting.id)?.state == .completed)
        }
    }

    @Test(arguments: StoreKind.available)
    func theRepairOffersAFreeSeatWhoseOfferJobDied(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            let clock = fixtures.clock
            try await fixtures.flight()
            let (holder, waiter) = try await { let p = try await fixtures.passengers(2); return (p[0], p[1]) }()
            let seat = SeatID("12A")!
            let hold = try await store.placeHold(flightID: Self.flight, seatID: seat, passengerID: holder, at: clock.now(), duration: 120)
            let confirmed = try await store.confirmHold(hold.id, by: holder, at: clock.now())
            let entry = try await store.joinWaitlist(flightID: Self.flight, passengerID: waiter,
                                                     preferences: SeatPreferences(seats: [seat]), at: clock.now())
            _ = try await store.cancelHold(confirmed.id, by: holder, at: clock.now())
            // The offer job that the cancel queued dies without running.
            let offer = try #require(try await store.claimJobs(worker: "w", at: clock.now(), lease: 30, limit: 10)
                .first { $0.kind == JobKind.offerSeat.rawValue })
            for _ in 0..<offer.maxAttempts {
                if try await store.failJob(offer.id, worker: "w", error: "boom", retryAt: clock.now(), at: clock.now()) == .dead { break }
                _ = try await store.claimJobs(worker: "w", at: clock.now(), lease: 30, limit: 10)
            }
            #expect(try await store.waitlistEntry(entry.id)?.state == .waiting)
            let repair = RepairService(store: store, clock: clock, logger: Logger(label: "test"), started: .open)
            clock.advance(by: 60)
            #expect(try await repair.runOnce().seatsOffered == 1)
            let assigned = try #require(try await store.waitlistEntry(entry.id))
            #expect(assigned.state == .assigned)
            #expect(assigned.seatID == seat)
            #expect(try await repair.runOnce().seatsOffered == 0)
        }
    }

    @Test(arguments: StoreKind.available)
    func retentionPurgesByAgeInBoundedBatches(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            let clock = fixtures.clock
            try await fixtures.flight()
            let reference = Fixtures.newReference()
            try await store.createBooking(Booking(reference: reference, flightID: Self.flight,
                                                  passengers: [Passenger(id: UUID(), firstName: "A", lastName: "B")]), at: clock.now())
            for index in 0..<5 {
                try await store.createSession(tokenHash: "h\(index)", booking: reference, createdAt: clock.now(),
                                              expiresAt: clock.now() + 3600)
            }
            var settings = MaintenanceSettings()
            settings.retention = RetentionPolicy(ages: [.sessions: 3600], batchSize: 2, batchesPerRound: 2)
            let sweeper = RetentionSweeper(store: store, clock: clock, logger: Logger(label: "test"), started: .open,
                                           settings: settings)
            clock.advance(by: 2 * 3600 - 1)
            #expect(try await sweeper.runOnce()[.sessions] == 0, "expired, but not an hour ago yet")
            clock.advance(by: 1)
            #expect(try await sweeper.runOnce()[.sessions] == 4, "two batches of two in one round")
            #expect(try await sweeper.runOnce()[.sessions] == 1)
            #expect(try await sweeper.runOnce()[.sessions] == 0)
        }
    }

    @Test(arguments: StoreKind.available)
    func aJobThatDiesSaysSoInAWarningAndAnAdminCanRetryIt(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let clock = ManualClock()
            let log = RecordedLog()
            let job = try await store.enqueue(NewJob(kind: "test.broken", payload: "{}", maxAttempts: 1), requestID: nil,
                                              at: clock.now())
            // A kind this version has no handler for (a newer one's) fails like any error.
            let worker = JobWorker(store: store, clock: clock, logger: log.logger(), handlers: [:])
            #expect(try await worker.runOnce() == 1)
            #expect(try await store.job(job.id)?.state == .dead)
            let warnings = log.entries.filter { $0.level == .warning && $0.message.hasPrefix("job dead") }
            #expect(warnings.count == 1, "one warning names the dead job and how to retry it")
            #expect(try await store.jobOverview(deadLimit: 10).counts[.dead] == 1)
            #expect(try await store.retryDeadJob(job.id, at: clock.now()).state == .queued)
        }
    }

    @Test(arguments: StoreKind.available)
    func aPayloadThatDoesNotDecodeFailsItsJob(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let clock = ManualClock()
            let garbled = try await store.enqueue(NewJob(kind: JobKind.offerSeat.rawValue, payload: #"{"flightId":"not a flight!","seatId":"1A"}"#,
                                                         maxAttempts: 1), requestID: nil, at: clock.now())
            let missing = try await store.enqueue(NewJob(kind: JobKind.closeWaitlist.rawValue, payload: "{}", maxAttempts: 1),
                                                  requestID: nil, at: clock.now())
            #expect(try await worker(store, clock, payments: FlakyPayments()).runOnce() == 2)
            let failed = try #require(try await store.job(garbled.id))
            #expect(failed.state == .dead)
            #expect(failed.lastError?.contains("no valid flightId") == true, "\(failed.lastError ?? "")")
            #expect(try await store.job(missing.id)?.state == .dead)
        }
    }
}
