import Foundation
import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program a test starts and stops by its PID (so nothing else on the machine is touched).
///
/// It is spawned with `posix_spawn` rather than Foundation's `Process`, which on Linux hands the
/// child the test process's blocked signals: such a child ignores SIGTERM.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private var exited = false
    private var status: Int32 = 0

    /// Starts `executable` with `arguments` and `environment` (the test's own if `nil`), its
    /// output appended to `log` (discarded if `nil`).
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                log: String? = nil) throws {
        pid = try Self.spawn(executable, arguments, environment: environment ?? ProcessInfo.processInfo.environment,
                             output: .file(log ?? "/dev/null"))
    }

    /// Starts `executable` with its standard output and error written into `output`'s pipe, as
    /// under a supervisor or Docker.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                output: PipedOutput) throws {
        defer { output.parentStarted() }
        pid = try Self.spawn(executable, arguments, environment: environment ?? ProcessInfo.processInfo.environment,
                             output: .pipe(output.writeEnd))
    }

    /// Whether it still runs; reaps it once it has exited. A `waitpid` interrupted by a signal
    /// (EINTR) is asked again: taking it for an exit once left a server running after its test.
    public var isRunning: Bool {
        guard !exited else { return false }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, WNOHANG) } while result < 0 && errno == EINTR
        if result == pid || result < 0 {
            exited = true
            self.status = status
        }
        return !exited
    }

    /// The exit status once it has exited normally (`nil` while running or after a signal).
    public var exitCode: Int32? {
        guard !isRunning, status & 0x7f == 0 else { return nil }
        return (status >> 8) & 0xff
    }

    /// Sends `signal` and waits, at most `limit`, until it has exited; SIGKILL if it lingers.
    public func stop(_ signal: Int32 = SIGTERM, within limit: Duration = .seconds(10)) async {
        guard isRunning else { return }
        _ = kill(pid, signal)
        // A frozen process acts on the signal only once it runs again.
        _ = kill(pid, SIGCONT)
        if await !waitUntil(within: limit, { !self.isRunning }) {
            _ = kill(pid, SIGKILL)
            _ = await waitUntil(within: .seconds(10)) { !self.isRunning }
        }
    }

    /// Sends `signal` and returns at once (SIGSTOP and SIGCONT, say).
    public func send(_ signal: Int32) { _ = kill(pid, signal) }

    private enum Output {
        case file(String)
        case pipe(Int32)
    }

    private static func spawn(_ executable: String, _ arguments: [String], environment: [String: String],
                              output: Output) throws -> pid_t {
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
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case .file(let path): posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        case .pipe(let writeEnd): posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        }
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the test process's: sockets are not close-on-exec (NIO's accepted
        // connections neither), and a connection a child holds is not closed when the test
        // closes it, so its peer would never see the end.
        closeInheritedDescriptors(&actions)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnFailed(executable: executable, code: result) }
        return pid
    }

    #if canImport(Glibc)
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
    /// module does not declare.
    private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFrom {
            _ = closeFrom(&actions, 3)
            return
        }
        // An older glibc: mark every descriptor open now close-on-exec instead.
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap(Int32.init) where fd > 2 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }
    #else
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t?) {}
    #endif

    public struct SpawnFailed: Error, CustomStringConvertible {
        public let executable: String
        public let code: Int32
        public var description: String { "could not spawn \(executable): error \(code)" }
    }
}

/// Checks `condition` every 20 ms until it holds or `limit` has passed; whether it held.
/// The limit is generous: it bounds a failing test, a passing one returns as soon as it can.
public func waitUntil(within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Ports handed out in this test process: the system may offer a port just released by one
/// test to the next, so each is given out once.
private let portsHandedOut = Mutex<Set<Int>>([])

/// A port on 127.0.0.1 nothing listens on right now: bound, read and released.
public func freeTestPort() async throws -> Int {
    while true {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        if portsHandedOut.withLock({ $0.insert(port).inserted }) { return port }
    }
}

/// Runs `body` with a port on 127.0.0.1 that a listening socket holds until it returns.
public func withOccupiedTestPort<T>(_ body: (Int) async throws -> T) async throws -> T {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let outcome: Result<T, any Error>
    do {
        outcome = .success(try await body(channel.localAddress?.port ?? 0))
    } catch {
        outcome = .failure(error)
    }
    try? await channel.close()
    return try outcome.get()
}
