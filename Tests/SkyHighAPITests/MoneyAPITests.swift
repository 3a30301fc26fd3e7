import Foundation
import HTTPTypes
import SkyHighAPI
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Synchronization
import Testing

/// The payment webhook's door and the orderings of intent, save and webhook over HTTP, and
/// sign-in repeats that keep no token.
@Suite struct MoneyAPITests {
    typealias Journey = CheckInAPITests.Journey

    static func heavyBag(_ journey: Journey) async throws -> (reply: Reply, intent: String?) {
        let reply = try await journey.addBag("HEAVY01", kg: 30)
        let intent = (try? reply.object()["payment"] as? [String: Any])?["paymentIntentId"] as? String
        return (reply, intent)
    }

    @Test(arguments: StoreKind.available)
    func aWebhookBeforeItsIntentIsKnownIs404AndItsRetryApplies(kind: StoreKind) async throws {
        try await CheckInAPITests.journey(kind) { journey in
            let early: [String: Any] = ["eventId": "evt_early", "paymentIntentId": "pi_early", "status": "succeeded"]
            try await journey.webhook(early).expectProblem(.notFound, "payment-intent-unknown")
            let (bagged, intent) = try await Self.heavyBag(journey)
            #expect(try bagged.string("state") == "WAITING_FOR_PAYMENT")
            // The provider retries the same event id for the intent now known: it applies.
            let retried = try await journey.webhook(["eventId": "evt_early", "paymentIntentId": try #require(intent),
                                                     "status": "succeeded"])
            #expect(retried.status == .ok, "\(retried.text)")
            #expect(try retried.string("outcome") == "applied")
            #expect(try retried.string("state") == "COMPLETED")
        }
    }

    @Test(arguments: StoreKind.available)
    func anIntentWhoseChangeDidNotCommitIsFlaggedAndItsSuccessOwedBack(kind: StoreKind) async throws {
        let concurrent = Once()
        try await CheckInAPITests.journey(kind, beforeIntent: { store, request in
            // Another change to the check-in commits while the intent is being created, once.
            guard concurrent.first() else { return }
            _ = try await store.changeCheckIn(request.checkinID, at: Date()) { checkIn in
                try CheckInRules.addBags([Bag(tag: BagTag("LIGHT01")!, declaredGrams: nil, weightGrams: 10_000, addedAt: checkIn.updatedAt)],
                                         to: checkIn, policy: BaggagePolicy(), now: checkIn.updatedAt)
            }
        }) { journey in
            let (failed, _) = try await Self.heavyBag(journey)
            try failed.expectProblem(.conflict, "concurrent-change")
            let flagged = try await journey.api.store.paymentFollowUps()
            #expect(flagged.count == 1)
            let orphan = try #require(flagged.first)
            #expect(orphan.checkinID.uuidString.lowercased() == journey.checkinID)
            #expect(orphan.amount == Money(amount: 5_000, currency: "EUR"))
            let paid = try await journey.webhook(["eventId": "evt_orphan", "paymentIntentId": orphan.intentID, "status": "succeeded"])
            #expect(paid.status == .ok, "\(paid.text)")
            #expect(try paid.string("outcome") == "follow-up")
            #expect(try await journey.api.store.paymentFollowUps().first?.refundDue == true)
            // The passenger's retry gets an intent of its own, and the check-in waits for that one.
            let (retried, intent) = try await Self.heavyBag(journey)
            #expect(try retried.string("state") == "WAITING_FOR_PAYMENT", "\(retried.text)")
            #expect(intent != orphan.intentID)
        }
    }

    @Test(arguments: StoreKind.available)
    func signedWebhooksAreTheirOwnClientNeverAPassengers(kind: StoreKind) async throws {
        let guardian = AbuseGuard(policy: AbusePolicy(ratePerSecond: 1, burst: 5, seatMapLimit: 50, window: 2, blockFor: 300))
        try await CheckInAPITests.journey(kind, abuseGuard: guardian, webhookRate: 1) { journey in
            journey.api.clock.advance(by: 10)
            // Signed webhooks from the passengers' own address: their budget is untouched.
            for index in 0..<2 {
                let reply = try await journey.webhook(["eventId": "evt_\(index)", "paymentIntentId": "pi_none", "status": "failed"])
                try reply.expectProblem(.notFound, "payment-intent-unknown")
            }
            // The Payment service's own budget (rate 1, burst 2) is spent now.
            let limited = try await journey.webhook(["eventId": "evt_x", "paymentIntentId": "pi_none", "status": "failed"])
            try limited.expectProblem(.tooManyRequests, "rate-limited")
            #expect(limited.headers[.retryAfter] == "1")
            #expect(try await journey.request(.get).status == .ok, "the passenger's budget was not spent by the webhooks")
            #expect(try await journey.request(.get).status == .ok)
            // Forgeries are charged to their address like anonymous requests, and refused.
            let forgery: [String: Any] = ["eventId": "evt_f", "paymentIntentId": "pi_none", "status": "succeeded"]
            for _ in 0..<5 {
                try await journey.webhook(forgery, secret: "forged-secret-0123456789").expectProblem(.unauthorized, "invalid-signature")
            }
            try await journey.webhook(forgery, secret: "forged-secret-0123456789").expectProblem(.tooManyRequests, "rate-limited")
            journey.api.clock.advance(by: 2)
            try await journey.webhook(["eventId": "evt_y", "paymentIntentId": "pi_none", "status": "failed"])
                .expectProblem(.notFound, "payment-intent-unknown")
        }
    }

    @Test func rotatedSecretsSignWithTheFirstAndVerifyWithAny() {
        let body = Data("{}".utf8)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let ring = "new-secret-0123456789, old-secret-0123456789"
        let signed = WebhookSignature.header(body: body, secret: ring, at: now)
        #expect(signed == WebhookSignature.header(body: body, secret: "new-secret-0123456789", at: now))
        #expect(WebhookSignature.isValid(signed, body: body, secret: ring, at: now))
        let byOld = WebhookSignature.header(body: body, secret: "old-secret-0123456789", at: now)
        #expect(WebhookSignature.isValid(byOld, body: body, secret: ring, at: now))
        #expect(!WebhookSignature.isValid(byOld, body: body, secret: "new-secret-0123456789", at: now))
        #expect(!WebhookSignature.isValid(signed, body: body, secret: "", at: now))
        #expect(WebhookSignature.secrets(" a , ,b ") == ["a", "b"])
    }

    @Test(arguments: StoreKind.available)
    func aSignInRepeatKeepsNoTokenAndAnswersAFreshOne(kind: StoreKind) async throws {
        try await APIHarness.run(kind) { api in
            try await api.createFlight()
            try await api.createBooking("ABC123", lastNames: ["Name0"])
            let headers: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "sign-in-1"]
            let body: [String: Any] = ["bookingReference": "ABC123", "lastName": "Name0"]
            let first = try await api.request(.post, "/sessions", json: body, headers: headers)
            #expect(first.status == .created)
            let token = try #require(try first.string("token"))
            let stored = try await api.store.database.run("SELECT body FROM idempotency_keys WHERE idem_key = 'sign-in-1'", [])
            let kept = try #require(try stored.first?.string("body"))
            #expect(!kept.contains(token), "the kept answer holds no bearer token")
            #expect(!kept.contains("\"token\""))
            let again = try await api.request(.post, "/sessions", json: body, headers: headers)
            #expect(again.status == .created)
            #expect(again.headers[HTTPField.Name("Idempotency-Replayed")!] == "true")
            let fresh = try #require(try again.string("token"))
            #expect(fresh != token)
            #expect(try again.string("bookingReference") == "ABC123")
            #expect((try again.object()["passengers"] as? [Any])?.count == 1)
            for usable in [token, fresh] {
                #expect(try await api.request(.post, "/checkin", json: ["flightId": "SH100", "passengerId": "x"], token: usable)
                    .status != .unauthorized, "both tokens sign in")
            }
            try await api.request(.post, "/sessions", json: ["bookingReference": "ABC123", "lastName": "Other"], headers: headers)
                .expectProblem(.unprocessableContent, "idempotency-key-reused")
        }
    }
}

/// True the first time it is asked, false after.
final class Once: Sendable {
    private let asked = Mutex(false)
    func first() -> Bool { asked.withLock { asked in defer { asked = true }; return !asked } }
}
