import Foundation
import NIOCore
import NIOPosix
import SkyHighRedis
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `redis-server` of the test's own: foreground, on 127.0.0.1, on a free port, nothing saved
/// to disk. It is stopped by its PID, so no other Redis on the machine is touched.
///
/// It is spawned with `posix_spawn` rather than Foundation's `Process`, which on Linux hands the
/// child the test process's blocked signals: such a redis-server ignores SIGTERM.
final class RedisServerProcess {
    enum Failure: Error, CustomStringConvertible {
        case notInstalled
        case spawnFailed(Int32)
        case didNotStart(port: Int, detail: String)

        var description: String {
            switch self {
            case .notInstalled: "redis-server is not on PATH"
            case .spawnFailed(let code): "could not spawn redis-server: error \(code)"
            case .didNotStart(let port, let detail): "redis-server did not start on port \(port): \(detail)"
            }
        }
    }

    /// The `redis-server` found on PATH, if any.
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":")
            .map { "\($0)/redis-server" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var isInstalled: Bool { executable != nil }

    /// Whether the environment demands the Redis tests (CI sets `SKYHIGH_REQUIRE_REDIS=1`).
    static var required: Bool { ProcessInfo.processInfo.environment["SKYHIGH_REQUIRE_REDIS"] == "1" }

    let port: Int
    private let extraArguments: [String]
    private let directory: URL
    private var pid: pid_t?

    private init(port: Int, extraArguments: [String]) {
        self.port = port
        self.extraArguments = extraArguments
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("skyhigh-redis-test-\(UUID().uuidString)")
    }

    /// Starts a server on a free port (another port if the first was taken meanwhile).
    static func start(_ extraArguments: [String] = []) async throws -> RedisServerProcess {
        var lastError: (any Error)?
        for _ in 0..<5 {
            let server = RedisServerProcess(port: try await freePort(), extraArguments: extraArguments)
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
    static func with(_ extraArguments: [String] = [], _ body: (RedisServerProcess) async throws -> Void) async throws {
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
    func settings(database: Int = 0, password: String? = nil) -> RedisConnectionSettings {
        var settings = RedisConnectionSettings(host: "127.0.0.1", port: port, database: database, password: password)
        settings.reconnectBackoff = RedisReconnectBackoff(initial: .milliseconds(20), maximum: .milliseconds(200))
        return settings
    }

    var url: String { "redis://127.0.0.1:\(port)" }

    /// Starts (or starts again) the server on its port and waits until it takes connections.
    func start() async throws {
        guard let executable = Self.executable else { throw Failure.notInstalled }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A socket left by a killed server would look like a ready one.
        try? FileManager.default.removeItem(atPath: socketPath)
        let pid = try Self.spawn(executable, [
            "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--unixsocket", socketPath, "--loglevel", "warning",
        ] + extraArguments)
        self.pid = pid
        // Redis creates its Unix socket only after it has bound the TCP port. The socket is in
        // this server's own folder, so it shows that the port answering is this server's and not
        // another test's that happened to get the same port.
        let ready = await eventually(within: .seconds(10)) {
            guard Self.isRunning(pid) else { return true }
            return FileManager.default.fileExists(atPath: socketPath)
        }
        guard ready, Self.isRunning(pid) else {
            self.pid = nil
            throw Failure.didNotStart(port: port, detail: ready ? "it exited" : "no answer within 10 s")
        }
    }

    /// Stops the server (SIGTERM, then SIGKILL if it lingers) and waits until it has exited.
    func stop() async {
        await signal(SIGTERM)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Kills the server at once, as a crash would.
    func kill() async {
        await signal(SIGKILL)
    }

    private func signal(_ signal: Int32) async {
        guard let pid else { return }
        self.pid = nil
        guard Self.isRunning(pid) else { return }
        _ = sendSignal(pid, signal)
        if await !eventually(within: .seconds(10), { !Self.isRunning(pid) }) {
            _ = sendSignal(pid, SIGKILL)
            _ = await eventually(within: .seconds(10)) { !Self.isRunning(pid) }
        }
    }

    /// Whether the child `pid` still runs; reaps it once it has exited.
    private static func isRunning(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// Starts `executable` with no blocked signals and default handling of SIGTERM and SIGINT,
    /// its output discarded.
    private static func spawn(_ executable: String, _ arguments: [String]) throws -> pid_t {
        #if canImport(Glibc)
        var attributes = posix_spawnattr_t()
        var actions = posix_spawn_file_actions_t()
        #else
        var attributes: posix_spawnattr_t?
        var actions: posix_spawn_file_actions_t?
        #endif
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment
            .map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw Failure.spawnFailed(result) }
        return pid
    }

    private var socketPath: String { directory.appendingPathComponent("redis.sock").path }

    /// Ports handed out in this test process: the system may offer a port just released by one
    /// test to the next, so each is given out once.
    private static let portsHandedOut = Mutex<Set<Int>>([])

    /// A port nothing listens on right now: bound, read and released.
    private static func freePort() async throws -> Int {
        while true {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: 0).get()
            let port = channel.localAddress?.port ?? 0
            try await channel.close()
            if portsHandedOut.withLock({ $0.insert(port).inserted }) { return port }
        }
    }
}

/// `kill(2)`, under a name the class's own `kill()` does not hide.
private func sendSignal(_ pid: pid_t, _ signal: Int32) -> Int32 {
    kill(pid, signal)
}
