import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A Redis client over one shared connection, for counters and windows shared by the fleet.
///
/// It is built never to hold a caller up: a call is sent at once on the open connection or
/// fails at once with `RedisError.unavailable`; an answer that does not come within the call's
/// timeout fails it with `RedisError.timeout`. Nothing is queued while Redis is away.
///
/// `run()` owns the connection: it connects, selects the database, reconnects with backoff
/// after a loss, and returns when the task is cancelled or the service group shuts down.
/// Put the client in the `ServiceGroup`, or run it in a task of its own:
///
/// ```swift
/// let redis = RedisClient(settings: try RedisConnectionSettings(url: url), logger: logger)
/// let group = ServiceGroup(services: [redis, server], logger: logger)
/// // elsewhere:
/// let count = try await redis.send("INCRBY", key, 1).integer
/// ```
public final class RedisClient: Service, Sendable {
    public let settings: RedisConnectionSettings
    private let group: any EventLoopGroup
    private let logger: Logger
    private let shared = Mutex(Shared())

    private struct Shared: ~Copyable {
        var state = RedisClientState.idle
        var connection: RedisConnection?
        var started = false
        var watchers: [UInt64: AsyncStream<RedisClientState>.Continuation] = [:]
        var nextWatcher: UInt64 = 0
    }

    /// - Parameters:
    ///   - eventLoopGroup: must outlive the client; NIO's shared singleton group by default.
    public init(settings: RedisConnectionSettings,
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "skyhigh.redis")) {
        self.settings = settings
        self.group = eventLoopGroup
        var logger = logger
        logger[metadataKey: "redis"] = "\(settings)"
        self.logger = logger
    }

    // MARK: State

    /// Where the connection stands now.
    public var state: RedisClientState {
        shared.withLock { shared in
            // A connection given up a moment ago is reported before `run()` has caught up with it.
            if shared.state == .connected, let connection = shared.connection, !connection.isUsable {
                return .disconnected(connection.health.reason ?? .connectionClosed("closed"))
            }
            return shared.state
        }
    }

    /// Whether calls are sent now (rather than failing with `RedisError.unavailable`).
    public var isConnected: Bool { state == .connected }

    /// The current state, then each change of state, until the client stops. Each call gives a
    /// stream of its own; a consumer that falls behind sees only the latest 32 changes.
    public func stateChanges() -> AsyncStream<RedisClientState> {
        let (stream, continuation) = AsyncStream.makeStream(of: RedisClientState.self,
                                                            bufferingPolicy: .bufferingNewest(32))
        let id = shared.withLock { shared in
            let id = shared.nextWatcher
            shared.nextWatcher += 1
            continuation.yield(shared.state)
            if shared.state == .stopped {
                continuation.finish()
            } else {
                shared.watchers[id] = continuation
            }
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.shared.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    // MARK: Commands

    /// Sends one command and returns its reply.
    ///
    /// - Parameter timeout: how long to wait for the reply; `settings.commandTimeout` if `nil`.
    /// - Throws: `RedisError`: `.server(message)` for an error reply, `.unavailable` when not
    ///   connected, `.timeout`, `.connectionLost`, ... ; or `CancellationError` if the task is
    ///   cancelled while waiting.
    public func send(_ command: String, _ arguments: any RedisArgumentConvertible...,
                     timeout: Duration? = nil) async throws -> RESPValue {
        try await send(RedisCommand(command, arguments: arguments), timeout: timeout)
    }

    /// Sends one command and returns its reply; an error reply throws `RedisError.server`.
    public func send(_ command: RedisCommand, timeout: Duration? = nil) async throws -> RESPValue {
        let replies = try await execute([command], timeout: timeout)
        guard let reply = replies.first else { throw RedisError.connectionLost }
        if case .error(let message) = reply { throw RedisError.server(message) }
        return reply
    }

    /// Writes all `commands` in one flush and returns their replies in the same order.
    ///
    /// Error replies stay in place as `.error` values, so one refused command does not hide the
    /// others' results. The timeout covers the whole pipeline. A `MULTI` must be closed by `EXEC`
    /// or `DISCARD` within the same pipeline.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) async throws -> [RESPValue] {
        try await execute(commands, timeout: timeout)
    }

    private func execute(_ commands: [RedisCommand], timeout: Duration?) async throws -> [RESPValue] {
        try RedisCommand.check(commands)
        guard !commands.isEmpty else { return [] }
        guard let connection = shared.withLock({ $0.connection }), connection.isUsable else {
            throw RedisError.unavailable
        }
        return try await connection.execute(commands, timeout: timeout ?? settings.commandTimeout,
                                            limit: settings.maximumCommandsInFlight)
    }

    // MARK: Running

    /// Keeps a connection open until the task is cancelled or the service group shuts down
    /// gracefully, then lets the replies in flight arrive (for at most the command timeout),
    /// closes, and returns. It never throws: a graceful shutdown is not a failure.
    ///
    /// A client runs once: calling `run()` again, or while it runs, returns at once.
    public func run() async {
        let first = shared.withLock { shared in
            defer { shared.started = true }
            return !shared.started
        }
        guard first else {
            logger.error("RedisClient.run() called more than once; this call does nothing")
            return
        }
        await cancelWhenGracefulShutdown {
            await self.keepConnected()
        }
        publish(.stopped, connection: nil)
        logger.info("Redis client stopped")
    }

    private func keepConnected() async {
        // Attempts that failed in a row; a connection that dropped soon after opening counts as
        // one, so that a flapping server is retried ever more slowly, not every `initial`.
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await RedisConnection.open(settings, group: group)
                let opened = ContinuousClock.now
                publish(.connected, connection: connection)
                let reason = await connection.waitUntilClosed(drainTimeout: settings.commandTimeout)
                if Task.isCancelled { break }
                let lasted = ContinuousClock.now - opened
                failures = lasted >= settings.reconnectBackoff.maximum ? 0 : failures + 1
                publish(.disconnected(reason), connection: nil)
            } catch {
                // Shutting down while connecting is no failure worth reporting.
                if Task.isCancelled { break }
                failures += 1
                publish(.disconnected(error.reason), connection: nil)
            }
            let delay = settings.reconnectBackoff.delay(afterFailures: max(failures, 1),
                                                        random: Double.random(in: 0..<1))
            logger.debug("reconnecting to Redis", metadata: ["in": "\(delay)", "failures": "\(failures)"])
            try? await Task.sleep(for: delay)
        }
    }

    /// Records the new state and connection, and tells the watchers and the log if the state changed.
    private func publish(_ state: RedisClientState, connection: RedisConnection?) {
        let (previous, watchers) = shared.withLock { shared in
            let previous = shared.state
            shared.state = state
            shared.connection = connection
            let watchers = Array(shared.watchers.values)
            if state == .stopped { shared.watchers.removeAll() }
            return (previous, watchers)
        }
        guard previous != state else { return }
        for watcher in watchers {
            watcher.yield(state)
            if state == .stopped { watcher.finish() }
        }
        switch state {
        case .connected:
            logger.info("connected to Redis")
        case .disconnected(let reason):
            // Only the first failure of a run of them is a warning; the rest would flood the log.
            let level: Logger.Level = previous == .connected || previous == .idle ? .warning : .debug
            logger.log(level: level, "no connection to Redis",
                       metadata: ["reason": "\(reason)", "reason_kind": "\(reason.kind)"])
        case .idle, .stopped:
            break
        }
    }
}
