import ArgumentParser
import Foundation
import Hummingbird
import SkyHighApp
import SkyHighCore

/// `skyhigh mock-services`: the mock Weight and Payment services as their own HTTP service, for a
/// deployment that points `SKYHIGH_WEIGHT_SERVICE_URL` and `SKYHIGH_PAYMENT_SERVICE_URL` at it.
struct MockServicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-services",
        abstract: "Run the mock Weight and Payment services over HTTP (latency and failures settable at run time).")

    @OptionGroup(title: "Mock services") var mock: MockServerOptions
    @OptionGroup(title: "Logging") var log: LogOptions

    func run() async throws {
        let config = try loadConfiguration([mock, log], sharedSecrets: false)
        guard !config.generatedSecrets.contains("SKYHIGH_WEBHOOK_SECRET") else {
            throw ValidationError("SKYHIGH_WEBHOOK_SECRET (or --webhook-secret) is required: the mock Payment service "
                                  + "signs its webhooks with it, and it must match the server's")
        }
        let services = config.services
        let logger = makeLogger(config)
        let mocks = MockServices(behaviour: MockBehaviour(services.mock), webhookSecret: config.webhookSecret,
                                 clock: SystemClock(), deliver: WebhookPoster(url: services.mockWebhookURL).delivery)
        let app = buildMockServicesApplication(mocks, host: services.mockHost, port: services.mockPort,
                                               logger: logger) { port in
            StartupBanner.mockServices(services, port: port).announce(format: config.logFormat, logger: logger)
        }
        try await listening(host: services.mockHost, port: services.mockPort, setting: "SKYHIGH_MOCK_PORT or --port") {
            try await app.runService()
        }
    }
}
