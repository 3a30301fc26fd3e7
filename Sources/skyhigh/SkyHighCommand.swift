import ArgumentParser

@main
struct SkyHighCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skyhigh",
        abstract: "SkyHigh Core: seat maps, seat holds and the waitlist for an airline's check-in.",
        subcommands: [Serve.self, Worker.self, Migrate.self, DemoData.self, MockServicesCommand.self],
        defaultSubcommand: Serve.self)
}
