import SkyHighAPI
import SkyHighApp
import SkyHighCore
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultsAreTheEmbeddedStoreWithGeneratedSecrets() throws {
        let config = try Configuration.load(environment: [:])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.database == .sqlite(path: "skyhigh.sqlite"))
        #expect(config.holdSeconds == 120)
        #expect(config.generatedSecrets == ["SKYHIGH_ADMIN_TOKEN", "SKYHIGH_WEBHOOK_SECRET", "SKYHIGH_NOTIFICATION_SECRET"])
        #expect(config.adminToken.count >= 40)
        #expect(config.adminToken != config.webhookSecret)
        #expect(config.notificationSecret.count >= 40)
        #expect(config.notificationSecret != config.webhookSecret)
    }

    @Test func variablesAndOptions() throws {
        let config = try Configuration.load(
            environment: ["SKYHIGH_PORT": "9000", "SKYHIGH_HOLD_SECONDS": "3", "SKYHIGH_DATABASE_URL": "sqlite::memory:",
                          "SKYHIGH_ADMIN_TOKEN": "a-long-enough-admin-token"],
            overrides: ["SKYHIGH_PORT": "9001"])
        #expect(config.port == 9001)
        #expect(config.holdSeconds == 3)
        #expect(config.database == .sqlite(path: nil))
        #expect(config.adminToken == "a-long-enough-admin-token")
        #expect(config.generatedSecrets == ["SKYHIGH_WEBHOOK_SECRET", "SKYHIGH_NOTIFICATION_SECRET"])
    }

    @Test func liveEventStreamsHaveAHeartbeatAndALimitForSlowClients() throws {
        #expect(try Configuration.load(environment: [:]).liveEvents == LiveEventSettings(heartbeat: .seconds(15),
                                                                                        slowClientLimit: .seconds(10)))
        let config = try Configuration.load(environment: ["SKYHIGH_SSE_HEARTBEAT_SECONDS": "30",
                                                          "SKYHIGH_SSE_SLOW_CLIENT_SECONDS": "3"])
        #expect(config.liveEvents == LiveEventSettings(heartbeat: .seconds(30), slowClientLimit: .seconds(3)))
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: ["SKYHIGH_SSE_HEARTBEAT_SECONDS": "0", "SKYHIGH_SSE_SLOW_CLIENT_SECONDS": "x"])
        }
        #expect(error?.problems.count == 2)
    }

    @Test func tracesAreOnOnlyWithAnOTLPEndpoint() throws {
        #expect(try Configuration.load(environment: [:]).traces == nil)
        #expect(try Configuration.load(environment: ["OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"]).traces == nil)
        let general = try Configuration.load(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"])
        #expect(general.traces == TraceSettings(endpoint: "http://collector:4318/v1/traces"))
        let specific = try Configuration.load(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
                                                            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://other:9/traces"])
        #expect(specific.traces == TraceSettings(endpoint: "http://other:9/traces"))
        for off in [["OTEL_SDK_DISABLED": "true"], ["OTEL_TRACES_EXPORTER": "none"]] {
            let config = try Configuration.load(environment: off.merging(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"]) { $1 })
            #expect(config.traces == nil, "\(off)")
        }
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "zipkin"])
        }
        #expect(error?.problems == ["OTEL_TRACES_EXPORTER must be otlp or none"])
        let wrongAddress = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318",
                                                 "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
        }
        #expect(wrongAddress?.problems.count == 2, "\(wrongAddress?.problems ?? [])")
    }

    @Test func connectionsHaveTimeoutsAndALimit() throws {
        let defaults = try Configuration.load(environment: [:]).connections
        #expect(defaults.idleTimeout == .seconds(60) && defaults.requestTimeout == .seconds(10))
        #expect(defaults.maxConnections == 10_000)
        let config = try Configuration.load(environment: ["SKYHIGH_IDLE_TIMEOUT_SECONDS": "120",
                                                          "SKYHIGH_REQUEST_TIMEOUT_SECONDS": "2.5",
                                                          "SKYHIGH_MAX_CONNECTIONS": "500"])
        #expect(config.connections.idleTimeout == .seconds(120))
        #expect(config.connections.requestTimeout == .milliseconds(2500))
        #expect(config.connections.maxConnections == 500)
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: ["SKYHIGH_IDLE_TIMEOUT_SECONDS": "0", "SKYHIGH_REQUEST_TIMEOUT_SECONDS": "soon",
                                                 "SKYHIGH_MAX_CONNECTIONS": "0"])
        }
        #expect(error?.problems.count == 3)
    }

    @Test func theFleetGuardsSettings() throws {
        let defaults = try Configuration.load(environment: [:])
        #expect(defaults.redis == nil)
        #expect(defaults.guardSyncInterval == .milliseconds(100))
        #expect(defaults.abuse.ipv6Prefix == 64)
        #expect(defaults.streamLimits == StreamLimits(perClient: 4, perInstance: 10_000))
        let config = try Configuration.load(environment: [
            "SKYHIGH_REDIS_URL": "redis://:secret@cache.internal:6380/2", "SKYHIGH_REDIS_TIMEOUT_MS": "150",
            "SKYHIGH_ABUSE_SYNC_MS": "50", "SKYHIGH_ABUSE_IPV6_PREFIX": "56",
            "SKYHIGH_SSE_MAX_STREAMS_PER_CLIENT": "2", "SKYHIGH_SSE_MAX_STREAMS": "500",
        ])
        let redis = try #require(config.redis)
        #expect(redis.host == "cache.internal" && redis.port == 6380 && redis.database == 2 && redis.password == "secret")
        #expect(redis.commandTimeout == .milliseconds(150))
        #expect(config.guardSyncInterval == .milliseconds(50))
        #expect(config.abuse.ipv6Prefix == 56)
        #expect(config.streamLimits == StreamLimits(perClient: 2, perInstance: 500))
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: ["SKYHIGH_REDIS_URL": "rediss://:pw@cache", "SKYHIGH_ABUSE_IPV6_PREFIX": "129",
                                                 "SKYHIGH_SSE_MAX_STREAMS": "0", "SKYHIGH_ABUSE_SYNC_MS": "1"])
        }
        #expect(error?.problems.count == 4)
        // The password never appears in the message.
        #expect(error?.description.contains("pw") == false)
    }

    @Test func postgresNeedsSharedSecrets() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: ["SKYHIGH_DATABASE_URL": "postgres://u@127.0.0.1/db"])
        }
        #expect(error?.problems.count == 2)
        #expect(error?.description.contains("SKYHIGH_ADMIN_TOKEN is required with PostgreSQL") == true)
    }

    @Test func notificationsHaveASecretOfTheirOwnAndSecretsRotate() throws {
        let shared = ["SKYHIGH_DATABASE_URL": "postgres://u@127.0.0.1/db", "SKYHIGH_ADMIN_TOKEN": "a-long-enough-admin-token",
                      "SKYHIGH_WEBHOOK_SECRET": "new-webhook-secret-0123, old-webhook-secret-0123"]
        let quiet = try Configuration.load(environment: shared)
        #expect(quiet.generatedSecrets == ["SKYHIGH_NOTIFICATION_SECRET"], "nothing is sent: nothing to share")
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: shared.merging(["SKYHIGH_NOTIFICATION_URL": "https://example.com/n"]) { $1 })
        }
        #expect(error?.problems == ["SKYHIGH_NOTIFICATION_SECRET is required with PostgreSQL (several instances must share it)"])
        let config = try Configuration.load(environment: shared.merging([
            "SKYHIGH_NOTIFICATION_URL": "https://example.com/n",
            "SKYHIGH_NOTIFICATION_SECRET": "notification-secret-0123,notification-old-0123",
        ]) { $1 })
        #expect(WebhookSignature.secrets(config.webhookSecret) == ["new-webhook-secret-0123", "old-webhook-secret-0123"])
        #expect(WebhookSignature.secrets(config.notificationSecret).first == "notification-secret-0123")
        let reused = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: shared.merging([
                "SKYHIGH_NOTIFICATION_SECRET": "old-webhook-secret-0123", "SKYHIGH_WEBHOOK_SECRET": "x-webhook-secret-0123,old-webhook-secret-0123",
            ]) { $1 })
        }
        #expect(reused?.description.contains("must differ from every SKYHIGH_WEBHOOK_SECRET") == true)
        let short = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: shared.merging(["SKYHIGH_WEBHOOK_SECRET": "long-enough-secret-0123,short"]) { $1 })
        }
        #expect(short?.problems == ["SKYHIGH_WEBHOOK_SECRET must be at least 16 characters per secret"])
    }

    @Test func repairAndRetentionSettings() throws {
        let defaults = try Configuration.load(environment: [:])
        #expect(defaults.maintenance == MaintenanceSettings())
        #expect(defaults.webhookRatePerSecond == 100)
        let config = try Configuration.load(environment: [
            "SKYHIGH_REPAIR_INTERVAL_SECONDS": "5", "SKYHIGH_PAYMENT_RECONCILE_SECONDS": "120",
            "SKYHIGH_RETENTION_INTERVAL_SECONDS": "30", "SKYHIGH_RETENTION_BATCH_SIZE": "50",
            "SKYHIGH_RETAIN_EXPIRED_SESSIONS_HOURS": "2", "SKYHIGH_RETAIN_PAYMENT_EVENTS_HOURS": "0.5",
            "SKYHIGH_WEBHOOK_RATE_LIMIT_PER_SECOND": "7",
        ])
        #expect(config.maintenance.repairInterval == .seconds(5))
        #expect(config.maintenance.paymentReconcileAfter == 120)
        #expect(config.maintenance.retentionInterval == .seconds(30))
        #expect(config.maintenance.retention.batchSize == 50)
        #expect(config.maintenance.retention.ages[.sessions] == 7200)
        #expect(config.maintenance.retention.ages[.paymentEvents] == 1800)
        #expect(config.maintenance.retention.ages[.finishedJobs] == RetentionPolicy.defaultAges[.finishedJobs])
        #expect(config.webhookRatePerSecond == 7)
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: ["SKYHIGH_REPAIR_INTERVAL_SECONDS": "0", "SKYHIGH_RETENTION_BATCH_SIZE": "-1",
                                                 "SKYHIGH_RETAIN_IDEMPOTENCY_HOURS": "soon"])
        }
        #expect(error?.problems.count == 3)
    }

    @Test func badValuesAreAllReportedAtOnce() {
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: [
                "SKYHIGH_PORT": "eighty", "SKYHIGH_HOLD_SECONDS": "0", "SKYHIGH_DATABASE_URL": "mysql://x",
                "SKYHIGH_LOG_LEVEL": "loud", "SKYHIGH_ADMIN_TOKEN": "short",
            ])
        }
        #expect(error?.problems.count == 5)
    }

    @Test func servicesAndBaggageDefaultToTheInProcessMocksAndTheSpecRule() throws {
        let config = try Configuration.load(environment: [:])
        #expect(config.services.weightURL == nil && config.services.paymentURL == nil)
        #expect(config.services.mock == .init(latencyMs: 0, failureRate: 0))
        #expect(config.services.timeoutMs == 2_000 && config.services.retries == 2)
        #expect(config.services.mockHost == "127.0.0.1" && config.services.mockPort == 8090)
        #expect(config.services.mockWebhookURL.absoluteString == "http://127.0.0.1:8080/payments/webhook")
        #expect(config.baggage.allowanceGrams == 25_000 && config.baggage.feePerKg == 1_000 && config.baggage.currency == "EUR")
    }

    @Test func servicesAndBaggageFromVariables() throws {
        let config = try Configuration.load(environment: [
            "SKYHIGH_WEIGHT_SERVICE_URL": "http://mocks:8090", "SKYHIGH_PAYMENT_SERVICE_URL": "https://pay.example/v1",
            "SKYHIGH_MOCK_LATENCY_MS": "250", "SKYHIGH_MOCK_FAILURE_RATE": "0.25", "SKYHIGH_SERVICE_TIMEOUT_MS": "500",
            "SKYHIGH_SERVICE_RETRIES": "0", "SKYHIGH_MOCK_HOST": "0.0.0.0", "SKYHIGH_MOCK_PORT": "9090",
            "SKYHIGH_MOCK_WEBHOOK_URL": "http://api:8080/payments/webhook",
            "SKYHIGH_BAGGAGE_ALLOWANCE_KG": "23.5", "SKYHIGH_EXCESS_FEE_PER_KG": "12.50",
        ], overrides: ["SKYHIGH_MOCK_PORT": "9091"])
        #expect(config.services.weightURL?.absoluteString == "http://mocks:8090")
        #expect(config.services.paymentURL?.absoluteString == "https://pay.example/v1")
        #expect(config.services.mock == .init(latencyMs: 250, failureRate: 0.25))
        #expect(config.services.timeoutMs == 500 && config.services.retries == 0)
        #expect(config.services.mockHost == "0.0.0.0" && config.services.mockPort == 9091)
        #expect(config.services.mockWebhookURL.absoluteString == "http://api:8080/payments/webhook")
        #expect(config.baggage.allowanceGrams == 23_500 && config.baggage.feePerKg == 1_250)
    }

    @Test func theFeeIsInTheCurrencysMinorUnits() throws {
        let yen = try Configuration.load(environment: ["SKYHIGH_CURRENCY": "JPY", "SKYHIGH_EXCESS_FEE_PER_KG": "1500"])
        #expect(yen.baggage.currency == "JPY" && yen.baggage.feePerKg == 1_500)
        let dinar = try Configuration.load(environment: ["SKYHIGH_CURRENCY": "KWD"])
        #expect(dinar.baggage.feePerKg == 10_000)
    }

    @Test func badServiceAndBaggageSettingsAreAllReported() {
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: [
                "SKYHIGH_WEIGHT_SERVICE_URL": "ftp://mocks", "SKYHIGH_MOCK_FAILURE_RATE": "1.5",
                "SKYHIGH_SERVICE_TIMEOUT_MS": "0", "SKYHIGH_CURRENCY": "eur", "SKYHIGH_EXCESS_FEE_PER_KG": "10.005",
                "SKYHIGH_BAGGAGE_ALLOWANCE_KG": "heavy",
            ])
        }
        #expect(error?.problems.count == 6)
        #expect(error?.description.contains("SKYHIGH_CURRENCY=eur") == true)
    }
}
