import ArgumentParser
import Logging
import SkyHighApp
import SkyHighCore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bring the store's schema up to date.")

    @OptionGroup(title: "Store") var store: StoreOptions
    @OptionGroup(title: "Logging") var log: LogOptions

    func run() async throws {
        let config = try loadConfiguration([store, log], sharedSecrets: false)
        let applied = try await StoreRunner.withStore(config) { opened in try await opened.migrate() }
        Console.write(applied.isEmpty ? "Store is up to date."
                                      : "Applied migrations \(applied.map(String.init).joined(separator: ", ")).")
    }
}

struct DemoData: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-data", abstract: "Load a few flights and bookings to try the service with.")

    @OptionGroup(title: "Store") var store: StoreOptions
    @OptionGroup(title: "Logging") var log: LogOptions

    func run() async throws {
        let config = try loadConfiguration([store, log], sharedSecrets: false)
        let signIns = try await StoreRunner.withStore(config) { opened in
            _ = try await opened.migrate()
            return try await SkyHighApp.DemoData.seed(into: opened.store, clock: SystemClock())
        }
        Console.write(["Demo flights SH101 (A320), SH202 (B738), SH303 (B77W) are loaded. Sign in with:"]
                      + signIns.map {
                          "  bookingReference \($0.bookingReference)  lastName \($0.lastName)  (flight \($0.flightID))"
                      })
    }
}
