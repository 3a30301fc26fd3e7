import Foundation

/// The `skyhigh` executable `swift test` built beside the tests.
public enum SkyHighExecutable {
    /// Its path, if there is one.
    public static let path: String? = {
        let candidates = [Bundle.main.executableURL, URL(fileURLWithPath: CommandLine.arguments[0])].compactMap { $0 }
        for candidate in candidates {
            var directory = candidate.deletingLastPathComponent()
            // A macOS test bundle sits two folders deeper than its siblings.
            for _ in 0..<4 {
                let path = directory.appendingPathComponent("skyhigh").path
                if FileManager.default.isExecutableFile(atPath: path) { return path }
                directory = directory.deletingLastPathComponent()
            }
        }
        return nil
    }()

    /// The test process's environment without any `SKYHIGH_` variable, so that a child runs on
    /// the settings its test gives it.
    public static var cleanEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SKYHIGH_") }
    }
}
