import Foundation
import HTTPTypes
import SkyHighAPI
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Testing

/// The check-in journey over HTTP: bags, fees, payment webhooks, faults and the boarding pass.
@Suite struct CheckInAPITests {
    /// A signed-in passenger on SH100 with seat 12A confirmed and a check-in started.
    struct Journey {
        let api: APIHarness
        let signedIn: APIHarness.SignedIn
        let checkinID: String
        var passenger: String { signedIn.passengers[0] }
        var path: String { "/checkin/\(checkinID)" }

        func request(_ method: HTTPRequest.Method, _ suffix: String = "", json: Any? = nil,
                     headers: HTTPFields = [:]) async throws -> Reply {
            try await api.request(method, path + suffix, json: json, token: signedIn.token, headers: headers)
        }

        func addBag(_ tag: String, kg: Double? = nil) async throws -> Reply {
            var bag: [String: Any] = ["tag": tag]
            bag["declaredWeightKg"] = kg
            return try await request(.post, "/baggage", json: ["bags": [bag]])
        }

        func webhook(_ payload: [String: Any], signedAt: Date? = nil, secret: String = APIHarness.webhookSecret,
                     signature: String? = nil) async throws -> Reply {
            let body = try JSONSerialization.data(withJSONObject: payload)
            var headers: HTTPFields = [.contentType: "application/json"]
            let header = signature ?? WebhookSignature.header(body: body, secret: secret, at: signedAt ?? api.clock.now())
            headers[HTTPField.Name(WebhookSignature.headerName)!] = header
            return try await api.request(.post, "/payments/webhook", raw: String(decoding: body, as: UTF8.self),
                                         headers: signature == "" ? [.contentType: "application/json"] : headers)
        }
    }

    static func journey(_ kind: StoreKind, seat: String? = "12A", abuseGuard: AbuseGuard? = nil, webhookRate: Double = 100,
                        storeDeadlines: (each: Duration, unit: Duration)? = nil,
                        beforeIntent: (@Sendable (SQLStore, PaymentIntentRequest) async throws -> Void)? = nil,
                        _ body: @escaping @Sendable (Journey) async throws -> Void) async throws {
        try await APIHarness.run(kind, abuseGuard: abuseGuard, webhookRate: webhookRate, storeDeadlines: storeDeadlines,
                                 beforeIntent: beforeIntent) { api in
            try await api.createFlight()
            let signedIn = try await api.bookedPassenger()
            let passenger = signedIn.passengers[0]
            if let seat {
                let hold = try await api.hold(seat, for: passenger, token: signedIn.token)
                let holdID = try #require(try hold.string("holdId"))
                let confirmed = try await api.request(.post, "/holds/\(holdID)/confirm", token: signedIn.token)
                #expect(confirmed.status == .ok)
            }
            let started = try await api.request(.post, "/checkin", json: ["flightId": "SH100", "passengerId": passenger],
                                                token: signedIn.token)
            #expect(started.status == .created, "\(started.text)")
            #expect(try started.string("state") == "IN_PROGRESS")
            try await body(Journey(api: api, signedIn: signedIn, checkinID: try #require(try started.string("checkinId"))))
        }
    }

    @Test(arguments: StoreKind.available)
    func aLightBagCompletesWithABoardingPass(kind: StoreKind) async throws {
        try await Self.journey(kind) { journey in
            let again = try await journey.api.request(.post, "/checkin", json: ["flightId": "SH100", "passengerId": journey.passenger],
                                                      token: journey.signedIn.token)
            #expect(again.status == .ok)
            #expect(try again.string("checkinId") == journey.checkinID)
            let early = try await journey.request(.get, "/boarding-pass")
            try early.expectProblem(.conflict, "boarding-pass-not-issued")

            let bagged = try await journey.addBag("LIGHT01", kg: 20)
            #expect(bagged.status == .ok, "\(bagged.text)")
            let object = try bagged.object()
            #expect(object["state"] as? String == "IN_PROGRESS")
            #expect((object["bags"] as? [[String: Any]])?.first?["weightKg"] as? Double == 20)
            #expect((object["amountDue"] as? [String: Any])?["amount"] as? Int == 0)

            let completed = try await journey.request(.post, "/complete")
            #expect(completed.status == .ok, "\(completed.text)")
            #expect(try completed.string("state") == "COMPLETED")
            let pass = try await journey.request(.get, "/boarding-pass")
            #expect(pass.status == .ok, "\(pass.text)")
            let bcbp = try #require(try pass.string("bcbp"))
            #expect(bcbp.count == 60)
            #expect(bcbp.hasPrefix("M1NAME/TEST  "), "digits are not part of a BCBP name")
            #expect(bcbp.contains("ABC123 LHRJFKSH 0100 "))
            #expect(bcbp.contains("Y012A0001 1"))
            #expect(try pass.string("seatId") == "12A")
            let barcode = try await journey.request(.get, "/boarding-pass.svg")
            #expect(barcode.status == .ok && barcode.headers[.contentType] == "image/svg+xml")
            if let read = try QRDecoder.read([try SVGModules.parse(barcode.text)]) {
                #expect(read == [bcbp], "an independent decoder reads the pass's BCBP string")
            }
            let read = try await journey.request(.get)
            let kinds = (try read.object()["history"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds == ["CHECKIN_STARTED", "BAG_ADDED", "CHECKIN_COMPLETED"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aHeavyBagWaitsForPaymentThroughSignedWebhooks(kind: StoreKind) async throws {
        try await Self.journey(kind) { journey in
            let waiting = try await journey.addBag("HEAVY01", kg: 30)
            #expect(waiting.status == .ok, "\(waiting.text)")
            #expect(try waiting.string("state") == "WAITING_FOR_PAYMENT")
            let payment = try #require(try waiting.object()["payment"] as? [String: Any])
            #expect(payment["amount"] as? Int == 5_000)
            #expect(payment["currency"] as? String == "EUR")
            #expect(payment["status"] as? String == "PENDING")
            let intent = try #require(payment["paymentIntentId"] as? String)
            let incomplete = try await journey.request(.post, "/complete")
            try incomplete.expectProblem(.conflict, "checkin-incomplete")
            #expect(try incomplete.object()["missing"] as? [String] == ["payment"])

            let failure: [String: Any] = ["eventId": "evt_1", "paymentIntentId": intent, "status": "failed",
                                          "failureReason": "card declined"]
            try await journey.webhook(failure, signature: "").expectProblem(.unauthorized, "invalid-signature")
            try await journey.webhook(failure, secret: "another-secret-entirely").expectProblem(.unauthorized, "invalid-signature")
            try await journey.webhook(failure, signedAt: journey.api.clock.now() - 301).expectProblem(.unauthorized, "invalid-signature")
            #expect(try await journey.request(.get).string("failureReason") == nil, "a refused webhook changes nothing")

            let failed = try await journey.webhook(failure)
            #expect(failed.status == .ok, "\(failed.text)")
            #expect(try failed.string("outcome") == "applied")
            let stillWaiting = try await journey.request(.get)
            #expect(try stillWaiting.string("state") == "WAITING_FOR_PAYMENT")
            #expect(try stillWaiting.string("failureReason") == "card declined")

            let retried = try await journey.request(.post, "/payment")
            #expect(retried.status == .created, "\(retried.text)")
            let newIntent = try #require((try retried.object()["payment"] as? [String: Any])?["paymentIntentId"] as? String)
            #expect(newIntent != intent)
            try await journey.request(.post, "/payment").expectProblem(.conflict, "payment-pending")

            let success: [String: Any] = ["eventId": "evt_2", "paymentIntentId": newIntent, "status": "succeeded"]
            let paid = try await journey.webhook(success)
            #expect(paid.status == .ok)
            #expect(try paid.string("state") == "COMPLETED", "a success completes by itself with a confirmed seat")
            let replayed = try await journey.webhook(success)
            #expect(replayed.status == .ok)
            #expect(try replayed.string("outcome") == "duplicate")
            #expect(try await journey.request(.get, "/boarding-pass").status == .ok)
            #expect(journey.api.payments.intentCount == 2)
        }
    }

    @Test(arguments: StoreKind.available)
    func aDeadServiceIsARetryable503AndChangesNothing(kind: StoreKind) async throws {
        try await Self.journey(kind) { journey in
            let before = try await journey.request(.get).object()["revision"] as? Int
            journey.api.weightFaults.set(failureRate: 1)
            let noWeight = try await journey.addBag("LIGHT01", kg: 20)
            try noWeight.expectProblem(.serviceUnavailable, "weight-service-unavailable")
            #expect(noWeight.headers[.retryAfter] != nil)
            journey.api.weightFaults.set(failureRate: 0)
            journey.api.paymentFaults.set(failureRate: 1)
            try await journey.addBag("HEAVY01", kg: 30).expectProblem(.serviceUnavailable, "payment-service-unavailable")
            let after = try await journey.request(.get).object()
            #expect(after["revision"] as? Int == before)
            #expect((after["bags"] as? [Any])?.isEmpty == true)
            #expect(after["state"] as? String == "IN_PROGRESS")
            journey.api.paymentFaults.set(failureRate: 0)
            let recovered = try await journey.addBag("HEAVY01", kg: 30)
            #expect(try recovered.string("state") == "WAITING_FOR_PAYMENT")
        }
    }

    @Test(arguments: StoreKind.available)
    func aRepeatedRequestNeverChargesTwice(kind: StoreKind) async throws {
        try await Self.journey(kind) { journey in
            let headers: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "bags-1"]
            let body: [String: Any] = ["bags": [["tag": "HEAVY01", "declaredWeightKg": 31]]]
            let first = try await journey.request(.post, "/baggage", json: body, headers: headers)
            let second = try await journey.request(.post, "/baggage", json: body, headers: headers)
            #expect(first.status == .ok)
            #expect(second.body == first.body, "\(second.text)")
            #expect(journey.api.payments.intentCount == 1)
            #expect(journey.api.weights.callCount == 1)
            // Removing the bag ends the wait; adding it back asks for the same amount again.
            let removed = try await journey.request(.delete, "/baggage/HEAVY01")
            #expect(try removed.string("state") == "IN_PROGRESS")
            try await journey.request(.delete, "/baggage/HEAVY01").expectProblem(.notFound, "bag-not-found")
        }
    }

    /// A keyed request whose transaction outlives the store's deadline (here the Weight service
    /// keeps it open): a 503 to retry, the instance unharmed, and a retry that performs once. The
    /// store answers at the deadline while its transaction's task still runs the rest of the
    /// chain; the middleware takes the chain back before it returns (a process once stopped here).
    @Test func aKeyedRequestPastTheStoreDeadlineIsA503AndItsRetryPerformsOnce() async throws {
        guard StoreKind.available.contains(.postgres) else { return }
        // A keyed request's whole transaction may take 2 s here, and the Weight service takes 6 s;
        // each other store call keeps a generous 10 s, so that a loaded machine fails nothing else.
        // (A longer Weight call keeps the first transaction open longer, and an open transaction
        // holds back every other test's live seat changes on the same PostgreSQL.)
        try await Self.journey(.postgres, storeDeadlines: (each: .seconds(10), unit: .seconds(2))) { journey in
            let headers: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "bags-slow"]
            let body: [String: Any] = ["bags": [["tag": "SLOW01", "declaredWeightKg": 12]]]
            journey.api.weightFaults.set(latencyMs: 6_000)
            let slow = try await journey.request(.post, "/baggage", json: body, headers: headers)
            try slow.expectProblem(.serviceUnavailable, "store-unavailable")
            #expect(slow.headers[.retryAfter] != nil)
            journey.api.weightFaults.set(latencyMs: 0)
            let retry = try await journey.request(.post, "/baggage", json: body, headers: headers)
            #expect(retry.status == .ok, "\(retry.text)")
            #expect((try retry.object()["bags"] as? [Any])?.count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func cancellingTheSeatReopensTheCheckIn(kind: StoreKind) async throws {
        try await Self.journey(kind) { journey in
            #expect(try await journey.request(.post, "/complete").status == .ok)
            let hold = try await journey.api.store.events(of: FlightID("SH100")!).first { $0.kind == .hold(.confirmed) }?.holdID
            let holdID = try #require(hold).uuidString.lowercased()
            #expect(try await journey.api.request(.post, "/holds/\(holdID)/cancel", token: journey.signedIn.token).status == .ok)
            let reopened = try await journey.request(.get)
            #expect(try reopened.string("state") == "IN_PROGRESS")
            #expect(try reopened.object()["seatId"] == nil)
            try await journey.request(.get, "/boarding-pass").expectProblem(.conflict, "boarding-pass-not-issued")
            try await journey.request(.post, "/complete").expectProblem(.conflict, "checkin-incomplete")
        }
    }

    @Test(arguments: StoreKind.available)
    func badRequestsAreClearProblems(kind: StoreKind) async throws {
        try await Self.journey(kind, seat: nil) { journey in
            try await journey.request(.post, "/baggage", json: ["bags": [["tag": "no!"]]]).expectProblem(.badRequest)
            try await journey.request(.post, "/baggage", json: ["bags": [["tag": "GOOD01", "declaredWeightKg": -1]]])
                .expectProblem(.unprocessableContent)
            try await journey.request(.post, "/baggage", json: ["bags": []]).expectProblem(.unprocessableContent)
            try await journey.api.request(.get, "/checkin/not-a-uuid", token: journey.signedIn.token).expectProblem(.notFound)
            try await journey.api.request(.get, "/checkin/\(UUID().uuidString)", token: journey.signedIn.token)
                .expectProblem(.notFound, "checkin-not-found")
            try await journey.api.request(.get, journey.path).expectProblem(.unauthorized)
            try await journey.api.createBooking("XYZ789", lastNames: ["Other"])
            let other = try await journey.api.signIn("XYZ789", "Other")
            try await journey.api.request(.get, journey.path, token: other.token).expectProblem(.forbidden, "not-your-booking")
            try await journey.api.request(.post, "/checkin", json: ["flightId": "SH100", "passengerId": journey.passenger],
                                          token: other.token).expectProblem(.forbidden)
            try await journey.request(.post, "/complete").expectProblem(.conflict, "checkin-incomplete")
            try await journey.webhook(["eventId": "evt_x", "paymentIntentId": "pi_x", "status": "maybe"]).expectProblem(.badRequest)
            let unknown = try await journey.webhook(["eventId": "evt_y", "paymentIntentId": "pi_unknown", "status": "succeeded"])
            try unknown.expectProblem(.notFound, "payment-intent-unknown")
            #expect(try await journey.request(.delete).string("state") == "CANCELLED")
            try await journey.addBag("LATE01").expectProblem(.conflict, "checkin-not-open")
        }
    }
}
