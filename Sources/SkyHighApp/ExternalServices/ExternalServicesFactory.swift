import Foundation
import Logging
import SkyHighCore

/// The Weight and Payment services one process uses: HTTP clients where a service URL is set, the
/// in-process mocks otherwise. Either way calls have a time limit, retries and a circuit breaker,
/// so the embedded default behaves like a deployment when the mocks are set to be slow or fail.
public struct ExternalServices: Sendable {
    public let weight: any WeightService
    public let payment: any PaymentService
    /// The in-process Payment mock, when no Payment service URL is set: nothing settles its
    /// intents by itself (`settle` does, and sends the webhook).
    public let mockPayments: MockPaymentService?
    /// The in-process Weight mock, when no Weight service URL is set.
    public let mockWeights: MockWeightService?
    /// What the in-process mocks share (latency, failure rate), when either is used.
    public let mockBehaviour: MockBehaviour?

    /// `webhookURL` is where the in-process Payment mock POSTs its webhooks: the server's own
    /// `http://<host>:<port>/payments/webhook`.
    public static func make(configuration: Configuration, clock: any WallClock, logger: Logger,
                            webhookURL: URL) -> ExternalServices {
        let settings = configuration.services
        let timeout = TimeInterval(settings.timeoutMs) / 1000
        let behaviour = MockBehaviour(settings.mock)
        func call(_ service: ServiceUnavailableError.Service) -> ResilientCall {
            ResilientCall(breaker: CircuitBreaker(service: service, clock: clock, logger: logger),
                          timeout: settings.timeout, retries: settings.retries)
        }

        let weight: any WeightService
        var mockWeights: MockWeightService?
        if let url = settings.weightURL {
            weight = HTTPWeightService(baseURL: url, timeout: timeout)
        } else {
            let mock = MockWeightService(behaviour: behaviour)
            (weight, mockWeights) = (mock, mock)
        }
        let payment: any PaymentService
        var mockPayments: MockPaymentService?
        if let url = settings.paymentURL {
            payment = HTTPPaymentService(baseURL: url, timeout: timeout)
        } else {
            let mock = MockPaymentService(behaviour: behaviour, webhookSecret: configuration.webhookSecret, clock: clock,
                                          deliver: WebhookPoster(url: webhookURL).delivery)
            (payment, mockPayments) = (mock, mock)
        }

        logger.info("external services", metadata: [
            "weight": "\(settings.weightURL?.absoluteString ?? "in-process mock")",
            "payment": "\(settings.paymentURL?.absoluteString ?? "in-process mock")",
        ])
        return ExternalServices(weight: ResilientService(weight, call: call(.weight)),
                                payment: ResilientService(payment, call: call(.payment)),
                                mockPayments: mockPayments, mockWeights: mockWeights,
                                mockBehaviour: mockWeights == nil && mockPayments == nil ? nil : behaviour)
    }
}
