import ArgumentParser
import Foundation
import SkyHighApp

/// The configuration from the environment and the options of `groups` given, with the log format
/// installed (each command loads its settings once, before it logs anything); a bad setting stops
/// the command with every problem listed. `sharedSecrets: false` is for commands that serve
/// nothing to other instances.
func loadConfiguration(_ groups: [any SettingOptions], sharedSecrets: Bool = true) throws -> Configuration {
    var overrides: [String: String] = [:]
    for group in groups {
        overrides.merge(group.overrides.compactMapValues { $0 }) { _, later in later }
    }
    do {
        let config = try Configuration.load(environment: ProcessInfo.processInfo.environment, overrides: overrides,
                                            sharedSecrets: sharedSecrets)
        config.logFormat.bootstrap(traced: config.traces != nil)
        return config
    } catch let error as ConfigurationError {
        throw ValidationError(error.description)
    }
}

/// Runs a server that listens on `host:port`, turning a failure to listen into one line naming
/// the address (`setting` says what chooses it).
func listening(host: String, port: Int, setting: String, _ run: () async throws -> Void) async throws {
    do {
        try await run()
    } catch {
        guard let failure = ListenFailure(error, host: host, port: port, setting: setting) else { throw error }
        throw failure
    }
}
