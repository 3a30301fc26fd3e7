import ArgumentParser

/// A group of command-line options by concern. Each option stands for one `SKYHIGH_*` variable,
/// named in its help, and wins over it when given; each command takes only the groups it uses.
protocol SettingOptions: ParsableArguments {
    /// The variables these options set, by name; `nil` for an option not given.
    var overrides: [String: String?] { get }
}

/// Where `serve` listens, and the rule its API applies to holds.
struct ServerOptions: SettingOptions {
    @Option(help: "Address to listen on (SKYHIGH_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on, 0 for any free one (SKYHIGH_PORT; default 8080).") var port: Int?
    @Option(name: .customLong("hold-seconds"), help: "How long a seat hold lasts (SKYHIGH_HOLD_SECONDS; default 120).")
    var holdSeconds: Int?

    var overrides: [String: String?] {
        ["SKYHIGH_HOST": host, "SKYHIGH_PORT": port.map(String.init), "SKYHIGH_HOLD_SECONDS": holdSeconds.map(String.init)]
    }
}

struct StoreOptions: SettingOptions {
    @Option(name: .customLong("database-url"),
            help: "sqlite:PATH, sqlite::memory: or postgres://... (SKYHIGH_DATABASE_URL; default sqlite:skyhigh.sqlite).")
    var databaseURL: String?

    var overrides: [String: String?] { ["SKYHIGH_DATABASE_URL": databaseURL] }
}

/// The secrets processes sharing one database must agree on.
struct SecretOptions: SettingOptions {
    @Option(name: .customLong("admin-token"),
            help: "Admin bearer token, 16 characters or more (SKYHIGH_ADMIN_TOKEN; generated with SQLite).")
    var adminToken: String?
    @Option(name: .customLong("webhook-secret"),
            help: "Verifies payment webhooks; comma-separated to rotate (SKYHIGH_WEBHOOK_SECRET; generated with SQLite).")
    var webhookSecret: String?
    @Option(name: .customLong("notification-secret"),
            help: "Signs passenger notifications; comma-separated to rotate (SKYHIGH_NOTIFICATION_SECRET; generated with SQLite).")
    var notificationSecret: String?

    var overrides: [String: String?] {
        ["SKYHIGH_ADMIN_TOKEN": adminToken, "SKYHIGH_WEBHOOK_SECRET": webhookSecret,
         "SKYHIGH_NOTIFICATION_SECRET": notificationSecret]
    }
}

struct BaggageOptions: SettingOptions {
    @Option(name: .customLong("baggage-allowance-kg"), help: "Free weight per bag (SKYHIGH_BAGGAGE_ALLOWANCE_KG; default 25).")
    var baggageAllowanceKg: String?
    @Option(name: .customLong("excess-fee-per-kg"),
            help: "Fee per kg over, in major units (SKYHIGH_EXCESS_FEE_PER_KG; default 10).")
    var excessFeePerKg: String?
    @Option(help: "ISO 4217 currency of the fee (SKYHIGH_CURRENCY; default EUR).") var currency: String?

    var overrides: [String: String?] {
        ["SKYHIGH_BAGGAGE_ALLOWANCE_KG": baggageAllowanceKg, "SKYHIGH_EXCESS_FEE_PER_KG": excessFeePerKg,
         "SKYHIGH_CURRENCY": currency]
    }
}

/// The Weight and Payment services the check-in calls, or the in-process mocks.
struct ServiceOptions: SettingOptions {
    @Option(name: .customLong("weight-service-url"),
            help: "Weight service (SKYHIGH_WEIGHT_SERVICE_URL; default the in-process mock).")
    var weightServiceURL: String?
    @Option(name: .customLong("payment-service-url"),
            help: "Payment service (SKYHIGH_PAYMENT_SERVICE_URL; default the in-process mock).")
    var paymentServiceURL: String?
    @Option(name: .customLong("service-timeout-ms"),
            help: "Time limit of one call attempt (SKYHIGH_SERVICE_TIMEOUT_MS; default 2000).")
    var serviceTimeoutMs: Int?
    @Option(name: .customLong("service-retries"), help: "Further attempts of a failed call (SKYHIGH_SERVICE_RETRIES; default 2).")
    var serviceRetries: Int?
    @Option(name: .customLong("mock-latency-ms"),
            help: "Delay of the in-process mocks' answers (SKYHIGH_MOCK_LATENCY_MS; default 0).")
    var mockLatencyMs: Int?
    @Option(name: .customLong("mock-failure-rate"),
            help: "Share of in-process mock calls that fail, 0 to 1 (SKYHIGH_MOCK_FAILURE_RATE; default 0).")
    var mockFailureRate: String?

    var overrides: [String: String?] {
        ["SKYHIGH_WEIGHT_SERVICE_URL": weightServiceURL, "SKYHIGH_PAYMENT_SERVICE_URL": paymentServiceURL,
         "SKYHIGH_SERVICE_TIMEOUT_MS": serviceTimeoutMs.map(String.init),
         "SKYHIGH_SERVICE_RETRIES": serviceRetries.map(String.init),
         "SKYHIGH_MOCK_LATENCY_MS": mockLatencyMs.map(String.init), "SKYHIGH_MOCK_FAILURE_RATE": mockFailureRate]
    }
}

/// `mock-services`' own: where it listens, where its webhooks go and how it behaves.
struct MockServerOptions: SettingOptions {
    @Option(help: "Address to listen on (SKYHIGH_MOCK_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on, 0 for any free one (SKYHIGH_MOCK_PORT; default 8090).") var port: Int?
    @Option(name: .customLong("webhook-url"),
            help: "Where payment webhooks are sent (SKYHIGH_MOCK_WEBHOOK_URL; default http://127.0.0.1:8080/payments/webhook).")
    var webhookURL: String?
    @Option(name: .customLong("webhook-secret"),
            help: "Signing secret of the webhooks, the server's own (SKYHIGH_WEBHOOK_SECRET; required).")
    var webhookSecret: String?
    @Option(name: .customLong("latency-ms"), help: "Delay of each answer (SKYHIGH_MOCK_LATENCY_MS; default 0).")
    var latencyMs: Int?
    @Option(name: .customLong("failure-rate"),
            help: "Share of calls that fail with 503, 0 to 1 (SKYHIGH_MOCK_FAILURE_RATE; default 0).")
    var failureRate: String?

    var overrides: [String: String?] {
        ["SKYHIGH_MOCK_HOST": host, "SKYHIGH_MOCK_PORT": port.map(String.init), "SKYHIGH_MOCK_WEBHOOK_URL": webhookURL,
         "SKYHIGH_WEBHOOK_SECRET": webhookSecret, "SKYHIGH_MOCK_LATENCY_MS": latencyMs.map(String.init),
         "SKYHIGH_MOCK_FAILURE_RATE": failureRate]
    }
}

struct LogOptions: SettingOptions {
    @Option(name: .customLong("log-level"),
            help: "trace, debug, info, notice, warning, error or critical (SKYHIGH_LOG_LEVEL; default info).")
    var logLevel: String?
    @Option(name: .customLong("log-format"),
            help: "text, or json for one object per line (SKYHIGH_LOG_FORMAT; default text).")
    var logFormat: String?

    var overrides: [String: String?] { ["SKYHIGH_LOG_LEVEL": logLevel, "SKYHIGH_LOG_FORMAT": logFormat] }
}
