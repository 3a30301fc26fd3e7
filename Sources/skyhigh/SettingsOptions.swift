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

    /// The configuration from the environment and these options; exits with the problems if bad.
    func load(sharedSecrets: Bool = true) throws -> Configuration {
        var overrides: [String: String] = [:]
        overrides["SKYHIGH_HOST"] = host
        overrides["SKYHIGH_PORT"] = port.map(String.init)
        overrides["SKYHIGH_DATABASE_URL"] = databaseURL
        overrides["SKYHIGH_HOLD_SECONDS"] = holdSeconds.map(String.init)
        overrides["SKYHIGH_ADMIN_TOKEN"] = adminToken
        overrides["SKYHIGH_WEBHOOK_SECRET"] = webhookSecret
        overrides["SKYHIGH_LOG_LEVEL"] = logLevel
        do {
            return try Configuration.load(environment: ProcessInfo.processInfo.environment, overrides: overrides,
                                          sharedSecrets: sharedSecrets)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }
}
