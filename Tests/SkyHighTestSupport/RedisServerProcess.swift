import Foundation
import NIOCore
import NIOPosix
import SkyHighRedis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `redis-server` of the test's own: foreground, on 127.0.0.1, on a free port, nothing saved
/// to disk. It is stopped by its PID, so no other Redis on the machine is touched.
public final class RedisServerProcess: @unchecked Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case notInstalled
        case didNotStart(port: Int, detail: String)

        public var description: String {
            switch self {
            case .notInstalled: "redis-server is not on PATH"
            case .didNotStart(let port, let detail): "redis-server did not start on port \(port): \(detail)"
            }
        }
    }

    /// The `redis-server` found on PATH, if any.
    public static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":")
            .map { "\($0)/redis-server" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    public static var isInstalled: Bool { executable != nil }

    /// Whether the environment demands the Redis tests (CI sets `SKYHIGH_REQUIRE_REDIS=1`).
    public static var required: Bool { ProcessInfo.processInfo.environment["SKYHIGH_REQUIRE_REDIS"] == "1" }

    public let port: Int
    private let extraArguments: [String]
    private let directory: URL
    private var process: ChildProcess?

    private init(port: Int, extraArguments: [String]) {
        self.port = port
        self.extraArguments = extraArguments
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("skyhigh-redis-test-\(UUID().uuidString)")
    }

    /// Starts a server on a free port (another port if the first was taken meanwhile).
    public static func start(_ extraArguments: [String] = []) async throws -> RedisServerProcess {
        var lastError: (any Error)?
        for _ in 0..<5 {
            let server = RedisServerProcess(port: try await freeTestPort(), extraArguments: extraArguments)
            do {
                try await server.start()
                return server
            } catch {
                lastError = error
                await server.stop()
            }
        }
        throw lastError ?? Failure.notInstalled
    }

    /// Runs `body` with a fresh server, and stops the server however `body` ends.
    public static func with(_ extraArguments: [String] = [], _ body: (RedisServerProcess) async throws -> Void) async throws {
        let server = try await start(extraArguments)
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// Settings for a client of this server that reconnects quickly.
    public func settings(database: Int = 0, password: String? = nil) -> RedisConnectionSettings {
        var settings = RedisConnectionSettings(host: "127.0.0.1", port: port, database: database, password: password)
        settings.reconnectBackoff = RedisReconnectBackoff(initial: .milliseconds(20), maximum: .milliseconds(200))
        settings.commandTimeout = Self.commandTimeout
        return settings
    }

    /// The tests' command time limit: generous, since a few hundred tests start at once on two
    /// cores; a test of time limits passes its own.
    public static let commandTimeout: Duration = .seconds(10)

    public var url: String { "redis://127.0.0.1:\(port)" }

    /// Starts (or starts again) the server on its port and waits until it takes connections.
    public func start() async throws {
        guard let executable = Self.executable else { throw Failure.notInstalled }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A socket left by a killed server would look like a ready one.
        try? FileManager.default.removeItem(atPath: socketPath)
        let process = try ChildProcess(executable, [
            "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--unixsocket", socketPath, "--loglevel", "warning",
        ] + extraArguments)
        self.process = process
        // Redis creates its Unix socket only after it has bound the TCP port. The socket is in
        // this server's own folder, so it shows that the port answering is this server's and not
        // another test's that happened to get the same port.
        let ready = await waitUntil(within: .seconds(10)) {
            guard process.isRunning else { return true }
            return FileManager.default.fileExists(atPath: socketPath)
        }
        guard ready, process.isRunning else {
            self.process = nil
            throw Failure.didNotStart(port: port, detail: ready ? "it exited" : "no answer within 10 s")
        }
    }

    /// Stops the server (SIGTERM, then SIGKILL if it lingers) and waits until it has exited.
    public func stop() async {
        await process?.stop()
        process = nil
        try? FileManager.default.removeItem(at: directory)
    }

    /// Kills the server at once, as a crash would.
    public func kill() async {
        await process?.stop(SIGKILL)
        process = nil
    }

    /// Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a host
    /// that hangs. ``resume()`` lets it go on.
    public func freeze() { process?.send(SIGSTOP) }

    public func resume() { process?.send(SIGCONT) }

    private var socketPath: String { directory.appendingPathComponent("redis.sock").path }
}
