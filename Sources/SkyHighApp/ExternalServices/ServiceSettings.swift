import Foundation

/// How SkyHigh reaches the Weight and Payment services, and how the mock services behave and
/// where `skyhigh mock-services` listens.
public struct ServiceSettings: Sendable, Equatable {
    /// `SKYHIGH_WEIGHT_SERVICE_URL`; `nil` uses the in-process mock.
    public var weightURL: URL?
    /// `SKYHIGH_PAYMENT_SERVICE_URL`; `nil` uses the in-process mock.
    public var paymentURL: URL?
    /// `SKYHIGH_MOCK_LATENCY_MS`, `SKYHIGH_MOCK_FAILURE_RATE`: the mocks' starting behaviour.
    public var mock = MockBehaviour.Settings()
    /// `SKYHIGH_SERVICE_TIMEOUT_MS`: time limit for one attempt at a call.
    public var timeoutMs = 2_000
    /// `SKYHIGH_SERVICE_RETRIES`: attempts after the first, for failures another attempt may cure.
    public var retries = 2
    /// `SKYHIGH_MOCK_HOST`, `SKYHIGH_MOCK_PORT`: where `skyhigh mock-services` listens.
    public var mockHost = "127.0.0.1"
    public var mockPort = 8090
    /// `SKYHIGH_MOCK_WEBHOOK_URL`: where `skyhigh mock-services` sends payment webhooks.
    public var mockWebhookURL = URL(string: "http://127.0.0.1:8080/payments/webhook")!

    public init() {}

    public var timeout: Duration { .milliseconds(timeoutMs) }
}
