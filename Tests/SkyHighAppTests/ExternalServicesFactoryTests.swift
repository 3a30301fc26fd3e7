import Foundation
import Logging
import SkyHighAPI
import SkyHighApp
import SkyHighCore
import SkyHighTestSupport
import Testing

/// What `ExternalServices.make` chooses from the settings.
@Suite struct ExternalServicesFactoryTests {
    @Test func withNoURLsTheInProcessMocksAnswerAndWebhooksReachTheServer() async throws {
        let received = Observed<(body: Data, signature: String?)>()
        try await LocalServer.runWebhookReceiver(received) { webhookURL in
            let config = try Configuration.load(environment: ["SKYHIGH_WEBHOOK_SECRET": "webhook-secret-for-tests"])
            let clock = SystemClock()
            let services = ExternalServices.make(configuration: config, clock: clock, logger: Logger(label: "test"),
                                                 webhookURL: webhookURL)
            let mockPayments = try #require(services.mockPayments)
            #expect(services.mockWeights != nil && services.mockBehaviour != nil)
            #expect(try await services.weight.weigh(checkinID: UUID(), tag: BagTag("ABC123")!, declaredGrams: nil) == 15_000)
            let intent = try await services.payment.createIntent(PaymentIntentRequest(
                amount: Money(amount: 3000, currency: "EUR"), idempotencyKey: "k", checkinID: UUID(), description: "bag"))
            let settlement = try await mockPayments.settle(intent.id, succeeded: true)
            #expect(settlement.deliveryStatus == 200)
            let delivered = try #require(received.all.first)
            #expect(delivered.body == settlement.body)
            #expect(WebhookSignature.isValid(delivered.signature, body: delivered.body,
                                             secret: "webhook-secret-for-tests", at: clock.now()))
        }
    }

    @Test func withURLsTheHTTPClientsAreUsed() throws {
        let config = try Configuration.load(environment: [
            "SKYHIGH_WEIGHT_SERVICE_URL": "http://127.0.0.1:8090", "SKYHIGH_PAYMENT_SERVICE_URL": "http://127.0.0.1:8090",
        ])
        let services = ExternalServices.make(configuration: config, clock: SystemClock(), logger: Logger(label: "test"),
                                             webhookURL: URL(fileURLWithPath: "/"))
        #expect(services.mockPayments == nil && services.mockWeights == nil && services.mockBehaviour == nil)
        #expect((services.weight as? ResilientService<any WeightService>)?.base is HTTPWeightService)
        #expect((services.payment as? ResilientService<any PaymentService>)?.base is HTTPPaymentService)
    }
}
