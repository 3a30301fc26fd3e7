import SkyHighApp
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultsAreTheEmbeddedStoreWithGeneratedSecrets() throws {
        let config = try Configuration.load(environment: [:])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.database == .sqlite(path: "skyhigh.sqlite"))
        #expect(config.holdSeconds == 120)
        #expect(config.generatedSecrets == ["SKYHIGH_ADMIN_TOKEN", "SKYHIGH_WEBHOOK_SECRET"])
        #expect(config.adminToken.count >= 40)
        #expect(config.adminToken != config.webhookSecret)
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
        #expect(config.generatedSecrets == ["SKYHIGH_WEBHOOK_SECRET"])
    }

    @Test func postgresNeedsSharedSecrets() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: ["SKYHIGH_DATABASE_URL": "postgres://u@127.0.0.1/db"])
        }
        #expect(error?.problems.count == 2)
        #expect(error?.description.contains("SKYHIGH_ADMIN_TOKEN is required with PostgreSQL") == true)
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
}
