import ArgumentParser
import Hummingbird
import SkyHighApp

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the API and the background workers (migrates the store first).")

    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let config = try settings.load()
        let traces = try TraceExport.bootstrap(config.traces, logger: makeLogger(config))
        let app = try await buildApplication(config)
        print("SkyHigh Core listening on http://\(config.host):\(config.port)")
        if config.generatedSecrets.contains("SKYHIGH_ADMIN_TOKEN") {
            print("Generated admin token (set SKYHIGH_ADMIN_TOKEN to choose one): \(config.adminToken)")
        }
        if config.generatedSecrets.contains("SKYHIGH_WEBHOOK_SECRET") {
            print("Generated webhook secret (set SKYHIGH_WEBHOOK_SECRET to choose one): \(config.webhookSecret)")
        }
        try await runServer(app, logger: makeLogger(config), traces: traces)
    }
}

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the background workers (expiry sweep, job queue) without the HTTP server.")

    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let config = try settings.load()
        let traces = try TraceExport.bootstrap(config.traces, logger: makeLogger(config))
        print("SkyHigh Core worker started")
        try await runWorker(config, traces: traces)
    }
}
