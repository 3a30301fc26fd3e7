import ArgumentParser
import SkyHighApp

@main
struct SkyHighCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skyhigh",
        abstract: "SkyHigh Core: seat maps, seat holds and the waitlist for an airline's check-in.",
        discussion: "Each option stands for the SKYHIGH_* variable named in its help and wins over it.",
        version: SkyHighVersion.current,
        subcommands: [Serve.self, Worker.self, Migrate.self, DemoData.self, MockServicesCommand.self],
        defaultSubcommand: Serve.self)
}
