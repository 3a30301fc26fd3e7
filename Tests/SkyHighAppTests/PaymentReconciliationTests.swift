import Foundation
import Logging
import SkyHighApp
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Synchronization
import Testing

/// Intents whose webhook never came are asked about by the `payment.reconcile` job.
@Suite struct PaymentReconciliationTests {
    static let flight = FlightID("SH100")!
    static let policy = BaggagePolicy()

    /// A Payment service that reports what the test says about each intent.
    final class ReportingPayments: PaymentService {
        let answers = Mutex<[String: PaymentIntent]>([:])

        func createIntent(_ request: PaymentIntentRequest) async throws -> PaymentIntent {
            throw ServiceUnavailableError(.payment, "not used by these tests")
        }

        func intent(_ id: String) async throws -> PaymentIntent? { answers.withLock { $0[id] } }

        func report(_ id: String, _ status: PaymentStatus, reason: String? = nil) {
            answers.withLock { $0[id] = PaymentIntent(id: id, amount: Money(amount: 5_000, currency: "EUR"),
                                                      status: status, failureReason: reason) }
        }
    }

    /// A waiting check-in with a confirmed seat and intent `pi_1`, and the reconcile handler.
    func waitingCheckIn(_ store: SQLStore, _ fixtures: Fixtures,
                        payments: ReportingPayments) async throws -> (CheckIn, JobWorker.Handler) {
        try await fixtures.flight()
        let passenger = try await fixtures.passengers(1)[0]
        let now = fixtures.clock.now()
        let hold = try await store.placeHold(flightID: Self.flight, seatID: SeatID("3C")!, passengerID: passenger,
                                             at: now, duration: 120)
        _ = try await store.confirmHold(hold.id, by: passenger, at: now)
        let started = try await store.startCheckIn(flightID: Self.flight, passengerID: passenger, at: now)
        let bag = Bag(tag: BagTag("HEAVY1")!, declaredGrams: nil, weightGrams: 30_000, addedAt: now)
        let added = try CheckInRules.addBags([bag], to: started.checkIn, policy: Self.policy, now: now)
        let update = CheckInRules.attach(PaymentIntent(id: "pi_1", amount: Money(amount: 5_000, currency: "EUR"), status: .pending),
                                         to: added, policy: Self.policy, now: now)
        let waiting = try await store.saveCheckIn(update, expectedRevision: started.checkIn.revision, at: now)
        let handlers = JobHandlers.all(store: store, clock: fixtures.clock, notifier: LoggingNotificationSender(logger: Logger(label: "test")),
                                       payments: payments, baggage: Self.policy, logger: Logger(label: "test"))
        return (waiting, try #require(handlers[JobKind.reconcilePayment]))
    }

    func job(for intent: String) -> Job {
        Job(id: UUID(), kind: JobKind.reconcilePayment.rawValue,
            payload: JSONEncoder.payload(ReconcilePaymentPayload(intentID: intent)), state: .running,
            runAt: Date(), attempts: 1, maxAttempts: 10, lastError: nil, requestID: nil, createdAt: Date(), updatedAt: Date())
    }

    @Test(arguments: StoreKind.available)
    func aSucceededIntentCompletesTheCheckInAsTheWebhookWould(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            let payments = ReportingPayments()
            let (waiting, reconcile) = try await waitingCheckIn(store, fixtures, payments: payments)
            payments.report("pi_1", .succeeded)
            try await reconcile(job(for: "pi_1"))
            let completed = try #require(try await store.checkIn(waiting.id))
            #expect(completed.state == .completed)
            #expect(completed.payment?.status == .succeeded)
            // A webhook arriving afterwards changes nothing.
            guard case .applied(let again) = try await store.recordPaymentEvent(
                PaymentEvent(eventID: "evt_late", intentID: "pi_1", succeeded: true), policy: Self.policy, at: fixtures.clock.now())
            else { Issue.record("not applied"); return }
            #expect(again == completed)
        }
    }

    @Test(arguments: StoreKind.available)
    func aStillPendingIntentIsAskedAboutAgainLater(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            let payments = ReportingPayments()
            let (waiting, reconcile) = try await waitingCheckIn(store, fixtures, payments: payments)
            let queued = try await store.jobOverview(deadLimit: 1).counts[.queued, default: 0]
            payments.report("pi_1", .pending)
            try await reconcile(job(for: "pi_1"))
            #expect(try await store.jobOverview(deadLimit: 1).counts[.queued, default: 0] == queued + 1)
            #expect(try await store.checkIn(waiting.id)?.state == .waitingForPayment)

            payments.report("pi_1", .failed, reason: "card expired")
            try await reconcile(job(for: "pi_1"))
            let failed = try #require(try await store.checkIn(waiting.id))
            #expect(failed.state == .waitingForPayment)
            #expect(failed.failureReason == "card expired")
            // Settled intents are left alone.
            try await reconcile(job(for: "pi_1"))
            #expect(try await store.jobOverview(deadLimit: 1).counts[.queued, default: 0] == queued + 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func anIntentThePaymentServiceDoesNotKnowFailsTheJob(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            let (_, reconcile) = try await waitingCheckIn(store, fixtures, payments: ReportingPayments())
            await #expect(throws: (any Error).self) { try await reconcile(job(for: "pi_1")) }
        }
    }
}
