import Foundation
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Testing

/// Payment webhooks that arrive before, after or instead of the change that created their
/// intent, on every store. Each ordering of "intent created / check-in saved / webhook arrives /
/// save failed" is one test.
@Suite struct MoneyConformanceTests {
    static let flight = FlightID("SH100")!
    static let policy = BaggagePolicy()

    struct Setup {
        let store: any SkyHighStore
        let fixtures: Fixtures
        let checkIn: CheckIn
        var now: Date { fixtures.clock.now() }

        /// A 30 kg bag with intent `intent` attached, decided on the check-in as it is now.
        func heavyBag(intent: String) throws -> CheckInUpdate {
            let bag = Bag(tag: BagTag("HEAVY01")!, declaredGrams: nil, weightGrams: 30_000, addedAt: now)
            let update = try CheckInRules.addBags([bag], to: checkIn, policy: policy, now: now)
            let due = try #require(CheckInRules.paymentNeeded(update.checkIn, policy: policy))
            return CheckInRules.attach(PaymentIntent(id: intent, amount: due, status: .pending), to: update, policy: policy, now: now)
        }

        func webhook(_ eventID: String, _ intent: String, succeeded: Bool = true) async throws -> PaymentEventOutcome {
            try await store.recordPaymentEvent(PaymentEvent(eventID: eventID, intentID: intent, succeeded: succeeded),
                                               policy: policy, at: now)
        }

        func followUp(_ intent: String) -> PaymentFollowUp {
            PaymentFollowUp(intentID: intent, checkinID: checkIn.id, amount: Money(amount: 5_000, currency: "EUR"),
                            reason: "the change did not commit", createdAt: now)
        }
    }

    func withSetup(_ kind: StoreKind, _ body: @Sendable (Setup) async throws -> Void) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passenger = try await fixtures.passengers(1)[0]
            let started = try await store.startCheckIn(flightID: Self.flight, passengerID: passenger, at: fixtures.clock.now())
            try await body(Setup(store: store, fixtures: fixtures, checkIn: started.checkIn))
        }
    }

    @Test(arguments: StoreKind.available)
    func intentCreatedThenSavedThenWebhook(kind: StoreKind) async throws {
        try await withSetup(kind) { setup in
            _ = try await setup.store.saveCheckIn(try setup.heavyBag(intent: "pi_a"), expectedRevision: setup.checkIn.revision,
                                                  at: setup.now)
            guard case .applied(let paid) = try await setup.webhook("evt_a", "pi_a") else {
                Issue.record("the webhook of a saved intent applies")
                return
            }
            #expect(paid.payment?.status == .succeeded)
            #expect(try await setup.webhook("evt_a", "pi_a") == .duplicate)
        }
    }

    @Test(arguments: StoreKind.available)
    func intentCreatedThenWebhookThenSaved(kind: StoreKind) async throws {
        try await withSetup(kind) { setup in
            // The webhook outruns the commit: 404, the event id left for the provider's retry.
            #expect(try await setup.webhook("evt_b", "pi_b") == .unknownIntent)
            #expect(try await setup.webhook("evt_b", "pi_b") == .unknownIntent)
            _ = try await setup.store.saveCheckIn(try setup.heavyBag(intent: "pi_b"), expectedRevision: setup.checkIn.revision,
                                                  at: setup.now)
            guard case .applied(let paid) = try await setup.webhook("evt_b", "pi_b") else {
                Issue.record("the provider's retry applies once the intent is known")
                return
            }
            #expect(paid.payment?.status == .succeeded)
            #expect(try await setup.store.paymentFollowUps().isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func intentCreatedThenSaveFailedThenWebhook(kind: StoreKind) async throws {
        try await withSetup(kind) { setup in
            let update = try setup.heavyBag(intent: "pi_c")
            await #expect(throws: DomainError.concurrentChange) {
                _ = try await setup.store.saveCheckIn(update, expectedRevision: setup.checkIn.revision + 1, at: setup.now)
            }
            try await setup.store.flagPaymentIntent(setup.followUp("pi_c"))
            try await setup.store.flagPaymentIntent(setup.followUp("pi_c"))
            #expect(try await setup.store.paymentFollowUps().map(\.intentID) == ["pi_c"])
            guard case .followUp(let flagged) = try await setup.webhook("evt_c", "pi_c") else {
                Issue.record("a flagged intent's outcome is kept on its follow-up")
                return
            }
            #expect(flagged.reportedStatus == .succeeded)
            #expect(flagged.refundDue, "a success for a change that never committed is owed back")
            // A later failure report does not take the refund back.
            _ = try await setup.webhook("evt_c2", "pi_c", succeeded: false)
            #expect(try await setup.store.paymentFollowUps().first?.refundDue == true)
            #expect(try await setup.store.checkIn(setup.checkIn.id)?.payments.isEmpty == true)
        }
    }

    @Test(arguments: StoreKind.available)
    func intentCreatedThenSaveFailedThenRetrySavedThenWebhook(kind: StoreKind) async throws {
        try await withSetup(kind) { setup in
            try await setup.store.flagPaymentIntent(setup.followUp("pi_d"))
            // The retry at the same revision asks for the same intent and attaches it.
            _ = try await setup.store.saveCheckIn(try setup.heavyBag(intent: "pi_d"), expectedRevision: setup.checkIn.revision,
                                                  at: setup.now)
            #expect(try await setup.store.paymentFollowUps().isEmpty, "attaching the intent resolves its follow-up")
            guard case .applied = try await setup.webhook("evt_d", "pi_d") else {
                Issue.record("the webhook applies to the attached intent")
                return
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func flaggingAnAttachedIntentDoesNothing(kind: StoreKind) async throws {
        try await withSetup(kind) { setup in
            _ = try await setup.store.saveCheckIn(try setup.heavyBag(intent: "pi_e"), expectedRevision: setup.checkIn.revision,
                                                  at: setup.now)
            // A concurrent identical request committed the same intent: its own failure flags nothing.
            try await setup.store.flagPaymentIntent(setup.followUp("pi_e"))
            #expect(try await setup.store.paymentFollowUps().isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func pendingPaymentsWithoutALiveReconciliationAreFound(kind: StoreKind) async throws {
        try await withSetup(kind) { setup in
            let saved = try await setup.store.saveCheckIn(try setup.heavyBag(intent: "pi_f"),
                                                          expectedRevision: setup.checkIn.revision, at: setup.now)
            #expect(saved.state == .waitingForPayment)
            let later = setup.now + 600
            // The job the save queued is alive: nothing to repair.
            #expect(try await setup.store.unreconciledPayments(createdBefore: later, limit: 10).isEmpty)
            // Its job dies (attempts used up): the payment is found again.
            let jobs = try await setup.store.claimJobs(worker: "w", at: later, lease: 30, limit: 10)
            let job = try #require(jobs.first { $0.kind == JobKind.reconcilePayment.rawValue })
            for attempt in 1... {
                #expect(try await setup.store.failJob(job.id, worker: "w", error: "boom", retryAt: later, at: later) != nil)
                guard try await setup.store.job(job.id)?.state != .dead else { break }
                _ = try await setup.store.claimJobs(worker: "w", at: later, lease: 30, limit: 10)
                #expect(attempt < 20)
            }
            #expect(try await setup.store.unreconciledPayments(createdBefore: later, limit: 10) == ["pi_f"])
            #expect(try await setup.store.unreconciledPayments(createdBefore: setup.now - 1, limit: 10).isEmpty,
                    "younger than the cutoff: left alone")
        }
    }
}
