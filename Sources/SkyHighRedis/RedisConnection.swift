import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One open, set-up connection to Redis.
final class RedisConnection: Sendable {
    /// Why opening a connection failed.
    struct OpenFailure: Error {
        let reason: RedisDisconnectReason
    }

    let channel: any Channel
    let health: RedisConnectionHealth
    private let requestIDs = Atomic<UInt64>(0)

    private init(channel: any Channel, health: RedisConnectionHealth) {
        self.channel = channel
        self.health = health
    }

    /// Connects and sets the connection up (`AUTH`, `SELECT`, or a `PING`), all within
    /// `settings.connectTimeout`.
    static func open(_ settings: RedisConnectionSettings, group: any EventLoopGroup) async throws(OpenFailure) -> RedisConnection {
        let started = ContinuousClock.now
        let health = RedisConnectionHealth()
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(settings.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(.socketOption(.so_keepalive), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers(
                            ByteToMessageHandler(RESPDecoder()),
                            RedisCommandHandler(health: health))
                    }
                }
                .connect(host: settings.host, port: settings.port)
                .get()
        } catch {
            throw OpenFailure(reason: .connectFailed("\(settings.host):\(settings.port): \(error)"))
        }
        let connection = RedisConnection(channel: channel, health: health)
        let setup = settings.setupCommands
        let left = settings.connectTimeout - (ContinuousClock.now - started)
        let problem: String?
        do {
            let replies = try await connection.execute(setup, timeout: left)
            problem = zip(setup, replies).first(where: { $0.1.errorMessage != nil })
                .map { "\($0.0.name): \($0.1.errorMessage ?? "")" }
        } catch {
            problem = "\(error)"
        }
        if let problem {
            health.giveUp(.setupFailed(problem))
            try? await channel.close()
            throw OpenFailure(reason: .setupFailed(problem))
        }
        return connection
    }

    var isUsable: Bool { health.isUsable && channel.isActive }

    /// Writes `commands` in one flush and waits for their replies, in order, for at most
    /// `timeout`. Throws `RedisError`, or `CancellationError` if the calling task is cancelled
    /// (the replies are then read and dropped).
    func execute(_ commands: [RedisCommand], timeout: Duration,
                  limit: Int = .max) async throws -> [RESPValue] {
        guard timeout > .zero else { throw RedisError.timeout }
        guard health.reserve(commands.count, limit: limit) else { throw RedisError.overloaded }
        var bytes = channel.allocator.buffer(capacity: commands.count * 32)
        for command in commands {
            RESPEncoder.encode(command, into: &bytes)
        }
        let id = requestIDs.wrappingAdd(1, ordering: .relaxed).newValue
        let promise = channel.eventLoop.makePromise(of: [RESPValue].self)
        let request = RedisRequest(id: id, bytes: bytes, replyCount: commands.count,
                                   deadline: .now() + TimeAmount(timeout), promise: promise)
        let health = self.health
        channel.writeAndFlush(request).whenFailure { _ in
            // It never reached the handler (the channel had closed): nothing was sent.
            health.release(commands.count)
            promise.fail(RedisError.unavailable)
        }
        let channel = self.channel
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            channel.triggerUserOutboundEvent(RedisAbandonRequest(id: id), promise: nil)
        }
    }

    /// Waits until the connection closes and says why. If the waiting task is cancelled, the
    /// connection stops taking commands, lets those in flight finish (for at most `drainTimeout`)
    /// and closes.
    func waitUntilClosed(drainTimeout: Duration) async -> RedisDisconnectReason {
        await withTaskCancellationHandler {
            try? await channel.closeFuture.get()
        } onCancel: {
            drainAndClose(timeout: drainTimeout)
        }
        return health.reason ?? .connectionClosed("closed")
    }

    /// Stops new commands, then closes once every reply in flight is in: a `PING` written last is
    /// answered last.
    func drainAndClose(timeout: Duration) {
        health.giveUp(.connectionClosed("closed by the client"))
        let channel = self.channel
        guard health.reserve(1, limit: .max) else { return }
        let promise = channel.eventLoop.makePromise(of: [RESPValue].self)
        var bytes = channel.allocator.buffer(capacity: 16)
        RESPEncoder.encode(RedisCommand("PING"), into: &bytes)
        let id = requestIDs.wrappingAdd(1, ordering: .relaxed).newValue
        let request = RedisRequest(id: id, bytes: bytes, replyCount: 1,
                                   deadline: .now() + TimeAmount(max(timeout, .milliseconds(1))), promise: promise)
        channel.writeAndFlush(request).whenFailure { [health] error in
            health.release(1)
            promise.fail(error)
        }
        promise.futureResult.whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
