import ArgumentParser
import Foundation
import SkyHighApp

/// Command-line options matching the `SKYHIGH_*` variables; an option given wins over the variable.
struct SettingsOptions: ParsableArguments {
    @Option(help: "Address to listen on (SKYHIGH_HOST).") var host: String?
    @Option(help: "Port to listen on (SKYHIGH_PORT).") var port: Int?
    @Option(name: .customLong("database-url"), help: "postgres://... or sqlite:PATH (SKYHIGH_DATABASE_URL).")
    var databaseURL: String?
    @Option(name: .customLong("hold-seconds"), help: "How long a hold lasts (SKYHIGH_HOLD_SECONDS).")
    var holdSeconds: Int?
    @Option(name: .customLong("admin-token"), help: "Admin bearer token (SKYHIGH_ADMIN_TOKEN).")
    var adminToken: String?
    @Option(name: .customLong("webhook-secret"), help: "Payment webhook secret (SKYHIGH_WEBHOOK_SECRET).")
    var webhookSecret: String?
    @Option(name: .customLong("log-level"), help: "trace ... critical (SKYHIGH_LOG_LEVEL).")
    var logLevel: String?
    @Option(name: .customLong("log-format"), help: "text or json, one object per line (SKYHIGH_LOG_FORMAT).")
    var logFormat: String?
    @Option(name: .customLong("weight-service-url"), help: "Weight service; in-process mock if unset (SKYHIGH_WEIGHT_SERVICE_URL).")
    var weightServiceURL: String?
    @Option(name: .customLong("payment-service-url"), help: "Payment service; in-process mock if unset (SKYHIGH_PAYMENT_SERVICE_URL).")
    var paymentServiceURL: String?
    @Option(name: .customLong("service-timeout-ms"), help: "Time limit per call attempt to Weight/Payment (SKYHIGH_SERVICE_TIMEOUT_MS).")
    var serviceTimeoutMs: Int?
    @Option(name: .customLong("service-retries"), help: "Retries of a failed Weight/Payment call (SKYHIGH_SERVICE_RETRIES).")
    var serviceRetries: Int?
    @Option(name: .customLong("mock-latency-ms"), help: "Delay of the mock services' answers (SKYHIGH_MOCK_LATENCY_MS).")
    var mockLatencyMs: Int?
    @Option(name: .customLong("mock-failure-rate"), help: "Share of mock service calls that fail, 0 to 1 (SKYHIGH_MOCK_FAILURE_RATE).")
    var mockFailureRate: String?
    @Option(name: .customLong("mock-host"), help: "Address mock-services listens on (SKYHIGH_MOCK_HOST).")
    var mockHost: String?
    @Option(name: .customLong("mock-port"), help: "Port mock-services listens on (SKYHIGH_MOCK_PORT).")
    var mockPort: Int?
    @Option(name: .customLong("mock-webhook-url"), help: "Where mock-services sends payment webhooks (SKYHIGH_MOCK_WEBHOOK_URL).")
    var mockWebhookURL: String?
    @Option(name: .customLong("baggage-allowance-kg"), help: "Free weight per bag (SKYHIGH_BAGGAGE_ALLOWANCE_KG).")
    var baggageAllowanceKg: String?
    @Option(name: .customLong("excess-fee-per-kg"), help: "Fee per kg over, in major units (SKYHIGH_EXCESS_FEE_PER_KG).")
    var excessFeePerKg: String?
    @Option(help: "Currency of the excess-baggage fee (SKYHIGH_CURRENCY).") var currency: String?

    /// The configuration from the environment and these options, with the log format installed;
    /// exits with the problems if bad.
    func load(sharedSecrets: Bool = true) throws -> Configuration {
        var overrides: [String: String] = [:]
        overrides["SKYHIGH_HOST"] = host
        overrides["SKYHIGH_PORT"] = port.map(String.init)
        overrides["SKYHIGH_DATABASE_URL"] = databaseURL
        overrides["SKYHIGH_HOLD_SECONDS"] = holdSeconds.map(String.init)
        overrides["SKYHIGH_ADMIN_TOKEN"] = adminToken
        overrides["SKYHIGH_WEBHOOK_SECRET"] = webhookSecret
        overrides["SKYHIGH_LOG_LEVEL"] = logLevel
        overrides["SKYHIGH_LOG_FORMAT"] = logFormat
        overrides["SKYHIGH_WEIGHT_SERVICE_URL"] = weightServiceURL
        overrides["SKYHIGH_PAYMENT_SERVICE_URL"] = paymentServiceURL
        overrides["SKYHIGH_SERVICE_TIMEOUT_MS"] = serviceTimeoutMs.map(String.init)
        overrides["SKYHIGH_SERVICE_RETRIES"] = serviceRetries.map(String.init)
        overrides["SKYHIGH_MOCK_LATENCY_MS"] = mockLatencyMs.map(String.init)
        overrides["SKYHIGH_MOCK_FAILURE_RATE"] = mockFailureRate
        overrides["SKYHIGH_MOCK_HOST"] = mockHost
        overrides["SKYHIGH_MOCK_PORT"] = mockPort.map(String.init)
        overrides["SKYHIGH_MOCK_WEBHOOK_URL"] = mockWebhookURL
        overrides["SKYHIGH_BAGGAGE_ALLOWANCE_KG"] = baggageAllowanceKg
        overrides["SKYHIGH_EXCESS_FEE_PER_KG"] = excessFeePerKg
        overrides["SKYHIGH_CURRENCY"] = currency
        do {
            let config = try Configuration.load(environment: ProcessInfo.processInfo.environment, overrides: overrides,
                                                sharedSecrets: sharedSecrets)
            // Each command loads its settings once, before it logs anything.
            config.logFormat.bootstrap(traced: config.traces != nil)
            return config
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }
}
