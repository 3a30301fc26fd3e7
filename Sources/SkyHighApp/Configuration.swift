import Foundation
import Logging
import SkyHighAPI
import SkyHighCore
import SkyHighRedis

/// Every setting of the service, read once from `SKYHIGH_*` variables (or the matching
/// command-line options, which win) and checked before anything starts.
public struct Configuration: Sendable {
    public enum Database: Sendable, Equatable {
        /// The embedded default; `nil` path means a private in-memory database.
        case sqlite(path: String?)
        case postgres(url: String)
    }

    public var host = "127.0.0.1"
    public var port = 8080
    public var database = Database.sqlite(path: "skyhigh.sqlite")
    public var holdSeconds = 120
    public var adminToken: String
    /// Verifies incoming payment webhooks (`SKYHIGH_WEBHOOK_SECRET`); several comma-separated
    /// secrets while one is rotated: any verifies (the first signs the mock Payment service's).
    public var webhookSecret: String
    /// Signs passenger notifications (`SKYHIGH_NOTIFICATION_SECRET`), never the webhook secret:
    /// whoever receives notifications cannot forge a payment. Comma-separated for rotation: the
    /// first signs.
    public var notificationSecret: String
    /// Signed payment webhooks one instance accepts per second (the Payment service's own limit).
    public var webhookRatePerSecond: Double = 100
    /// The background repair and the retention purge.
    public var maintenance = MaintenanceSettings()
    /// Names of secrets that were generated because none was set (the embedded default prints them).
    public var generatedSecrets: [String] = []
    public var logLevel = Logger.Level.info
    /// `text` or one JSON object per line (`SKYHIGH_LOG_FORMAT`).
    public var logFormat = LogFormat.text
    /// Largest number of PostgreSQL connections one process opens.
    public var databasePoolSize = 20
    /// How long a request waits for the store (a connection, then its statements) before it is
    /// answered 503 `store-unavailable`; readiness answers within the same time.
    public var storeTimeoutSeconds: Double = 2
    /// Check-in and the waitlist close this long before departure.
    public var checkinCloseMinutes = 45
    /// Where passenger notifications are POSTed; `nil` logs them instead.
    public var notificationURL: URL?
    /// Jobs one worker runs at once.
    public var workerConcurrency = 16
    /// Runs a job may take before it is DEAD.
    public var jobMaxAttempts = 10
    /// Threads that accept connections and parse HTTP; request handling runs on Swift's own pool.
    public var serverThreads = ProcessInfo.processInfo.activeProcessorCount
    /// Rate limit and bot rule.
    public var abuse = AbusePolicy()
    /// Proxies whose `X-Forwarded-For` is believed.
    public var trustedProxies: [AddressRange] = []
    /// Addresses never blocked or rate-limited by address (kiosks behind one address).
    public var abuseAllowlist: [AddressRange] = []
    /// Free weight per bag and the excess-baggage fee.
    public var baggage = BaggagePolicy()
    /// The Weight and Payment services (or their mocks) and how calls to them are made.
    public var services = ServiceSettings()
    /// Heartbeat of live seat-change streams and how long a write may wait for a slow client.
    public var liveEvents = LiveEventSettings()
    /// Idle and request timeouts of client connections, and how many one instance keeps open.
    public var connections = ConnectionSettings()
    /// How many live seat-change streams a client, and this instance, may hold open.
    public var streamLimits = StreamLimits()
    /// The Redis the fleet's abuse counters are shared through (`SKYHIGH_REDIS_URL`, with
    /// `SKYHIGH_REDIS_TIMEOUT_MS` as its command timeout); `nil`: each instance counts alone.
    public var redis: RedisConnectionSettings?
    /// How often the abuse guard exchanges its counts with the fleet through Redis.
    public var guardSyncInterval: Duration = .milliseconds(100)
    /// Where traces are exported (OpenTelemetry's `OTEL_*` variables); `nil`: traces are off.
    public var traces: TraceSettings?
    /// One access-log line for one request in this many (and for every 5xx); 0: no access log.
    public var accessLogEvery = 0

    /// Settings for tests and tools: embedded store, fixed secrets.
    public init(adminToken: String = "admin-test-token", webhookSecret: String = "webhook-test-secret",
                notificationSecret: String = "notification-test-secret") {
        self.adminToken = adminToken
        self.webhookSecret = webhookSecret
        self.notificationSecret = notificationSecret
    }

    /// Reads `environment`, with `overrides` (from command-line options, same names) taking
    /// precedence. Throws naming every bad or missing setting at once. `sharedSecrets: false`
    /// is for tools that serve nothing (migrate, demo-data): they need no admin token.
    public static func load(environment: [String: String], overrides: [String: String] = [:],
                            sharedSecrets: Bool = true) throws -> Configuration {
        var reader = SettingsReader(values: environment.merging(overrides) { _, override in override })
        var config = Configuration(adminToken: "", webhookSecret: "", notificationSecret: "")
        config.host = reader.string("SKYHIGH_HOST") ?? config.host
        config.port = reader.int("SKYHIGH_PORT", in: 0...65535) ?? config.port
        config.database = reader.database("SKYHIGH_DATABASE_URL") ?? config.database
        config.holdSeconds = reader.int("SKYHIGH_HOLD_SECONDS", in: 1...86_400) ?? config.holdSeconds
        config.databasePoolSize = reader.int("SKYHIGH_DATABASE_POOL_SIZE", in: 1...500) ?? config.databasePoolSize
        config.storeTimeoutSeconds = reader.double("SKYHIGH_STORE_TIMEOUT_SECONDS", in: 0.1...600) ?? config.storeTimeoutSeconds
        config.logLevel = reader.choice("SKYHIGH_LOG_LEVEL", of: Logger.Level.self) ?? config.logLevel
        config.logFormat = reader.choice("SKYHIGH_LOG_FORMAT", of: LogFormat.self) ?? config.logFormat
        config.checkinCloseMinutes = reader.int("SKYHIGH_CHECKIN_CLOSE_MINUTES", in: 0...10_080) ?? config.checkinCloseMinutes
        config.notificationURL = reader.httpURL("SKYHIGH_NOTIFICATION_URL")
        config.workerConcurrency = reader.int("SKYHIGH_WORKER_CONCURRENCY", in: 1...64) ?? config.workerConcurrency
        config.jobMaxAttempts = reader.int("SKYHIGH_JOB_MAX_ATTEMPTS", in: 1...100) ?? config.jobMaxAttempts
        config.abuse.ratePerSecond = reader.double("SKYHIGH_RATE_LIMIT_PER_SECOND", in: 0...100_000) ?? config.abuse.ratePerSecond
        config.abuse.burst = reader.double("SKYHIGH_RATE_LIMIT_BURST", in: 1...100_000) ?? config.abuse.burst
        config.abuse.seatMapLimit = reader.int("SKYHIGH_ABUSE_SEATMAP_LIMIT", in: 1...100_000) ?? config.abuse.seatMapLimit
        config.abuse.window = reader.double("SKYHIGH_ABUSE_WINDOW_SECONDS", in: 0.1...3600) ?? config.abuse.window
        config.abuse.blockFor = reader.double("SKYHIGH_ABUSE_BLOCK_SECONDS", in: 1...604_800) ?? config.abuse.blockFor
        config.abuse.ipv6Prefix = reader.int("SKYHIGH_ABUSE_IPV6_PREFIX", in: 1...128) ?? config.abuse.ipv6Prefix
        config.redis = reader.redis("SKYHIGH_REDIS_URL", timeoutName: "SKYHIGH_REDIS_TIMEOUT_MS")
        if let ms = reader.int("SKYHIGH_ABUSE_SYNC_MS", in: 10...5_000) { config.guardSyncInterval = .milliseconds(ms) }
        config.streamLimits.perClient = reader.int("SKYHIGH_SSE_MAX_STREAMS_PER_CLIENT", in: 1...10_000)
            ?? config.streamLimits.perClient
        config.streamLimits.perInstance = reader.int("SKYHIGH_SSE_MAX_STREAMS", in: 1...1_000_000)
            ?? config.streamLimits.perInstance
        config.serverThreads = reader.int("SKYHIGH_SERVER_THREADS", in: 1...256) ?? config.serverThreads
        config.trustedProxies = reader.addressRanges("SKYHIGH_TRUSTED_PROXIES")
        config.abuseAllowlist = reader.addressRanges("SKYHIGH_ABUSE_ALLOWLIST")
        config.baggage = reader.baggagePolicy()
        config.services = reader.serviceSettings()
        config.traces = reader.traceSettings()
        config.accessLogEvery = reader.int("SKYHIGH_ACCESS_LOG_EVERY", in: 0...1_000_000) ?? config.accessLogEvery
        if let seconds = reader.int("SKYHIGH_SSE_HEARTBEAT_SECONDS", in: 1...3600) { config.liveEvents.heartbeat = .seconds(seconds) }
        if let seconds = reader.int("SKYHIGH_SSE_SLOW_CLIENT_SECONDS", in: 1...600) { config.liveEvents.slowClientLimit = .seconds(seconds) }
        if let seconds = reader.double("SKYHIGH_IDLE_TIMEOUT_SECONDS", in: 1...86_400) { config.connections.idleTimeout = .seconds(seconds) }
        if let seconds = reader.double("SKYHIGH_REQUEST_TIMEOUT_SECONDS", in: 1...3600) { config.connections.requestTimeout = .seconds(seconds) }
        config.connections.maxConnections = reader.int("SKYHIGH_MAX_CONNECTIONS", in: 1...1_000_000) ?? config.connections.maxConnections
        config.webhookRatePerSecond = reader.double("SKYHIGH_WEBHOOK_RATE_LIMIT_PER_SECOND", in: 0...100_000)
            ?? config.webhookRatePerSecond
        config.maintenance = reader.maintenanceSettings()
        // The notification secret is shared only when notifications are sent somewhere.
        for (name, keyPath, shared) in [("SKYHIGH_ADMIN_TOKEN", \Configuration.adminToken, true),
                                        ("SKYHIGH_WEBHOOK_SECRET", \Configuration.webhookSecret, true),
                                        ("SKYHIGH_NOTIFICATION_SECRET", \Configuration.notificationSecret,
                                         config.notificationURL != nil)] {
            if let value = reader.string(name) {
                let parts = keyPath == \Configuration.adminToken ? [value] : WebhookSignature.secrets(value)
                if parts.isEmpty || parts.contains(where: { $0.count < 16 }) {
                    reader.problems.append("\(name) must be at least 16 characters" + (parts.count > 1 ? " per secret" : ""))
                }
                config[keyPath: keyPath] = value
            } else if case .postgres = config.database, sharedSecrets, shared {
                reader.problems.append("\(name) is required with PostgreSQL (several instances must share it)")
            } else {
                config[keyPath: keyPath] = Tokens.make()
                config.generatedSecrets.append(name)
            }
        }
        if !Set(WebhookSignature.secrets(config.webhookSecret)).isDisjoint(with: WebhookSignature.secrets(config.notificationSecret)) {
            reader.problems.append("SKYHIGH_NOTIFICATION_SECRET must differ from every SKYHIGH_WEBHOOK_SECRET: "
                                   + "whoever receives notifications must not be able to sign a payment webhook")
        }
        guard reader.problems.isEmpty else { throw ConfigurationError(problems: reader.problems) }
        return config
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String {
        "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Parses settings, collecting every problem instead of stopping at the first.
struct SettingsReader {
    let values: [String: String]
    var problems: [String] = []

    func string(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    mutating func int(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            problems.append("\(name)=\(text) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    mutating func database(_ name: String) -> Configuration.Database? {
        guard let text = string(name) else { return nil }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") { return .postgres(url: text) }
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            if path.isEmpty || path == ":memory:" { return .sqlite(path: nil) }
            return .sqlite(path: path)
        }
        problems.append("\(name) must start with postgres:// or sqlite: (got \(text.prefix(20))...)")
        return nil
    }

    mutating func double(_ name: String, in range: ClosedRange<Double>) -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), range.contains(value) else {
            problems.append("\(name)=\(text) must be a number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    /// A `redis://` URL, with its command timeout from `timeoutName` (250 ms by default).
    mutating func redis(_ name: String, timeoutName: String) -> RedisConnectionSettings? {
        let timeout = int(timeoutName, in: 10...10_000)
        guard let text = string(name) else { return nil }
        do {
            var settings = try RedisConnectionSettings(url: text)
            if let timeout { settings.commandTimeout = .milliseconds(timeout) }
            return settings
        } catch {
            problems.append("\(name): \(error)")
            return nil
        }
    }

    /// Comma-separated addresses or CIDR ranges.
    mutating func addressRanges(_ name: String) -> [AddressRange] {
        guard let text = string(name) else { return [] }
        var ranges: [AddressRange] = []
        for item in text.split(separator: ",") where !item.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let range = AddressRange(String(item)) else {
                problems.append("\(name): \(item) is not an IP address or CIDR range")
                continue
            }
            ranges.append(range)
        }
        return ranges
    }

    mutating func httpURL(_ name: String) -> URL? {
        guard let text = string(name) else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            problems.append("\(name) must be an http:// or https:// URL")
            return nil
        }
        return url
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ name: String, of type: T.Type) -> T?
    where T.RawValue == String {
        guard let text = string(name) else { return nil }
        guard let value = T(rawValue: text.lowercased()) else {
            problems.append("\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return value
    }
}
