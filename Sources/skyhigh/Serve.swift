import ArgumentParser
import Hummingbird
import SkyHighApp

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the API and the background workers (migrates the store first).")

    @OptionGroup(title: "Server") var server: ServerOptions
    @OptionGroup(title: "Store") var store: StoreOptions
    @OptionGroup(title: "Secrets") var secrets: SecretOptions
    @OptionGroup(title: "Baggage") var baggage: BaggageOptions
    @OptionGroup(title: "Weight and Payment services") var services: ServiceOptions
    @OptionGroup(title: "Logging") var log: LogOptions

    func run() async throws {
        let config = try loadConfiguration([server, store, secrets, baggage, services, log])
        let logger = makeLogger(config)
        let traces = try TraceExport.bootstrap(config.traces, logger: logger)
        let app = try await buildApplication(config, logger: logger) { port in
            StartupBanner.serve(config, port: port).announce(format: config.logFormat, logger: logger)
        }
        try await listening(host: config.host, port: config.port, setting: "SKYHIGH_PORT or --port") {
            try await runServer(app, logger: logger, traces: traces)
        }
    }
}

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the background workers (expiry sweep, job queue) without the HTTP server.")

    @OptionGroup(title: "Store") var store: StoreOptions
    @OptionGroup(title: "Secrets") var secrets: SecretOptions
    @OptionGroup(title: "Baggage") var baggage: BaggageOptions
    @OptionGroup(title: "Weight and Payment services") var services: ServiceOptions
    @OptionGroup(title: "Logging") var log: LogOptions

    func run() async throws {
        let config = try loadConfiguration([store, secrets, baggage, services, log])
        let traces = try TraceExport.bootstrap(config.traces, logger: makeLogger(config))
        Console.write("SkyHigh Core \(SkyHighVersion.current) worker started")
        try await runWorker(config, traces: traces)
    }
}
