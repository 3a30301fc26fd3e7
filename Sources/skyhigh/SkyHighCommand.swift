import ArgumentParser

@main
struct SkyHighCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skyhigh",
        abstract: "SkyHigh Core: seat holds, waitlist and check-in for an airline.",
        subcommands: [Serve.self, Migrate.self, DemoData.self],
        defaultSubcommand: Serve.self)
}
