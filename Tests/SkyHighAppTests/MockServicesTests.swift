import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SkyHighAPI
import SkyHighApp
import SkyHighCore
import SkyHighTestSupport
import Testing

/// The mocks themselves: settled intents send signed webhooks, the fault switch works at run
/// time, and the HTTP app answers what a tester sends it.
@Suite struct MockServicesTests {
    static let secret = "webhook-secret-for-tests"
    let clock = ManualClock()
    let delivered = Observed<(body: Data, signature: String)>()

    var mocks: MockServices {
        let delivered = delivered
        return MockServices(behaviour: MockBehaviour(), webhookSecret: Self.secret, clock: clock,
                            deliver: { body, signature in delivered.report((body, signature)); return 200 })
    }

    func intentRequest(key: String = "key-1") -> PaymentIntentRequest {
        PaymentIntentRequest(amount: Money(amount: 2000, currency: "EUR"), idempotencyKey: key, checkinID: UUID(),
                             description: "Excess baggage")
    }

    func webhook(_ body: Data) throws -> [String: String] {
        try #require(try JSONSerialization.jsonObject(with: body) as? [String: String])
    }

    @Test func settlingSendsAWebhookSignedWithTheSecret() async throws {
        let mocks = mocks
        let intent = try await mocks.payment.createIntent(intentRequest())
        let settlement = try await mocks.payment.settle(intent.id, succeeded: true)
        #expect(settlement.deliveryStatus == 200 && settlement.intent.status == .succeeded)
        let sent = try #require(delivered.all.first)
        #expect(sent.body == settlement.body)
        #expect(WebhookSignature.isValid(sent.signature, body: sent.body, secret: Self.secret, at: clock.now()))
        #expect(!WebhookSignature.isValid(sent.signature, body: sent.body, secret: "another-secret", at: clock.now()))
        #expect(try webhook(sent.body)
                == ["eventId": settlement.eventID, "paymentIntentId": intent.id, "status": "succeeded"])
        #expect(settlement.eventID.hasPrefix("evt_"))
        #expect(try await mocks.payment.intent(intent.id)?.status == .succeeded)
    }

    @Test func aFailureCarriesItsReasonAndEachSettlementIsANewEvent() async throws {
        let mocks = mocks
        let intent = try await mocks.payment.createIntent(intentRequest())
        let declined = try await mocks.payment.settle(intent.id, succeeded: false)
        let again = try await mocks.payment.settle(intent.id, succeeded: false, reason: "expired card")
        #expect(try webhook(declined.body)["failureReason"] == "card declined")
        #expect(try webhook(again.body)["failureReason"] == "expired card")
        #expect(declined.eventID != again.eventID)
        #expect(try await mocks.payment.intent(intent.id)?.failureReason == "expired card")
    }

    @Test func settlingAnUnknownIntentIsAnError() async throws {
        await #expect(throws: MockPaymentService.UnknownIntent(id: "pi_nope")) {
            try await mocks.payment.settle("pi_nope", succeeded: true)
        }
        #expect(delivered.all.isEmpty)
    }

    @Test func anUndeliverableWebhookIsReportedNotThrown() async throws {
        let payment = MockPaymentService(behaviour: MockBehaviour(), webhookSecret: Self.secret, clock: clock,
                                         deliver: { _, _ in throw URLError(.cannotConnectToHost) })
        let intent = try await payment.createIntent(intentRequest())
        let settlement = try await payment.settle(intent.id, succeeded: true)
        #expect(settlement.deliveryStatus == nil && settlement.deliveryError != nil)
        #expect(try await payment.intent(intent.id)?.status == .succeeded)
    }

    @Test func theFailureRateFollowsTheInjectedRandomness() async throws {
        let draws = Observed<Double>()
        let behaviour = MockBehaviour(.init(failureRate: 0.5)) {
            let next = [0.2, 0.7][draws.all.count % 2]
            draws.report(next)
            return next
        }
        let weight = MockWeightService(behaviour: behaviour)
        await #expect(throws: ServiceUnavailableError.self) {
            try await weight.weigh(checkinID: UUID(), tag: BagTag("ABC123")!, declaredGrams: nil)
        }
        #expect(try await weight.weigh(checkinID: UUID(), tag: BagTag("ABC123")!, declaredGrams: 9_000) == 9_000)
        #expect(behaviour.set(latencyMs: 90_000, failureRate: 2) == .init(latencyMs: 60_000, failureRate: 1))
    }

    // MARK: The HTTP app, in-process

    func withApp(_ mocks: MockServices,
                 _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: buildMockServicesRouter(mocks))
        try await app.test(.router) { client in try await body(client) }
    }

    func send(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, json: String? = nil,
              headers: HTTPFields = [:]) async throws -> (status: HTTPResponse.Status, body: [String: Any]) {
        let response = try await client.executeRequest(uri: path, method: method, headers: headers,
                                                       body: json.map { ByteBuffer(string: $0) })
        let object = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        return (response.status, object ?? [:])
    }

    @Test func theFaultSwitchTakesAServiceDownAndBack() async throws {
        let mocks = mocks
        try await withApp(mocks) { client in
            #expect(try await send(client, .get, "/health").status == .ok)
            let weigh = #"{"checkinId":"\#(UUID().uuidString.lowercased())","tag":"ABC123","declaredWeightKg":23.5}"#
            let weighed = try await send(client, .post, "/weights", json: weigh)
            #expect(weighed.status == .ok && weighed.body["weightKg"] as? Double == 23.5)
            #expect(weighed.body["tag"] as? String == "ABC123")
            let down = try await send(client, .put, "/behaviour", json: #"{"failureRate": 1}"#)
            #expect(down.status == .ok && down.body["failureRate"] as? Double == 1 && down.body["latencyMs"] as? Int == 0)
            #expect(try await send(client, .post, "/weights", json: weigh).status == .serviceUnavailable)
            let refused = try await send(client, .put, "/behaviour", json: #"{"failureRate": 1.5}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(try await send(client, .put, "/behaviour", json: #"{"latencyMs": 0, "failureRate": 0}"#).status == .ok)
            #expect(try await send(client, .post, "/weights", json: weigh).status == .ok)
            #expect(try await send(client, .post, "/weights", json: #"{"checkinId":"x","tag":"ABC123"}"#).status
                    == .unprocessableContent)
        }
    }

    @Test func intentsOverHTTPAreCreatedOnceAndSettledWithAWebhook() async throws {
        let mocks = mocks
        let delivered = delivered
        try await withApp(mocks) { client in
            let reference = UUID().uuidString.lowercased()
            let create = #"{"amount":5000,"currency":"EUR","reference":"\#(reference)","description":"2 kg"}"#
            #expect(try await send(client, .post, "/payment-intents", json: create).status == .badRequest)
            let keyed: HTTPFields = [.init("Idempotency-Key")!: "k-1"]
            let created = try await send(client, .post, "/payment-intents", json: create, headers: keyed)
            #expect(created.status == .created && created.body["status"] as? String == "PENDING")
            let id = try #require(created.body["paymentIntentId"] as? String)
            let repeated = try await send(client, .post, "/payment-intents", json: create, headers: keyed)
            #expect(repeated.status == .ok && repeated.body["paymentIntentId"] as? String == id)
            let failed = try await send(client, .post, "/payment-intents/\(id)/fail")
            #expect(failed.status == .ok && failed.body["failureReason"] as? String == "card declined")
            #expect(failed.body["webhookStatus"] as? Int == 200)
            let read = try await send(client, .get, "/payment-intents/\(id)")
            #expect(read.body["status"] as? String == "FAILED")
            let succeeded = try await send(client, .post, "/payment-intents/\(id)/succeed", json: "{}")
            #expect(succeeded.body["status"] as? String == "SUCCEEDED")
            #expect(delivered.all.count == 2)
            #expect(try await send(client, .get, "/payment-intents/pi_unknown").status == .notFound)
            #expect(try await send(client, .post, "/payment-intents/pi_unknown/succeed").status == .notFound)
        }
    }
}
