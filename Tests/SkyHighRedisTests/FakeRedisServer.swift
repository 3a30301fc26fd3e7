import NIOCore
import NIOPosix
import SkyHighRedis
import Synchronization

/// An in-process stand-in for Redis on 127.0.0.1 that answers as a test tells it to: late, never,
/// with bytes that are not RESP, or by hanging up. Answers go out in the order the commands came,
/// as Redis sends them, so a late answer holds back the ones after it.
final class FakeRedisServer: Sendable {
    enum Answer: Sendable {
        case reply(RESPValue)
        /// Bytes sent as they are.
        case raw(String)
        case after(Duration, RESPValue)
        /// No answer, ever: later answers on the connection wait behind it.
        case silence
        case hangUp
    }

    /// Decides the answer to a command (its parts as text) on the connection numbered `connection`
    /// (1 for the first accepted).
    typealias Responder = @Sendable (_ command: [String], _ connection: Int) -> Answer

    let port: Int
    private let channel: any Channel
    private let accepted: Accepted

    final class Accepted: Sendable {
        let count = Atomic<Int>(0)
    }

    /// How many connections the server has accepted.
    var connections: Int { accepted.count.load(ordering: .relaxed) }

    private init(port: Int, channel: any Channel, accepted: Accepted) {
        self.port = port
        self.channel = channel
        self.accepted = accepted
    }

    /// Starts a server that answers `PING` with `PONG` and everything else as `respond` says.
    static func start(_ respond: @escaping Responder) async throws -> FakeRedisServer {
        let accepted = Accepted()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                let number = accepted.count.wrappingAdd(1, ordering: .relaxed).newValue
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(RESPDecoder()),
                        FakeRedisHandler(connection: number, respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let port = channel.localAddress?.port ?? 0
        return FakeRedisServer(port: port, channel: channel, accepted: accepted)
    }

    /// Stops accepting; open connections are left to the client to close.
    func stop() async {
        try? await channel.close()
    }

    /// Settings for a client of this server, reconnecting quickly.
    var settings: RedisConnectionSettings {
        var settings = RedisConnectionSettings(host: "127.0.0.1", port: port)
        settings.reconnectBackoff = RedisReconnectBackoff(initial: .milliseconds(10), maximum: .milliseconds(100))
        // Generous: tests about time limits pass their own; the rest must not fail on a loaded machine.
        settings.commandTimeout = .seconds(10)
        return settings
    }
}

/// One accepted connection of the fake server.
private final class FakeRedisHandler: ChannelInboundHandler {
    typealias InboundIn = RESPValue
    typealias OutboundOut = ByteBuffer

    private let connection: Int
    private let respond: FakeRedisServer.Responder
    /// Answers not yet written, in order; `nil` bytes close the connection, a `nil` time never comes.
    private var queue: [(due: NIODeadline?, bytes: ByteBuffer?)] = []

    init(connection: Int, respond: @escaping FakeRedisServer.Responder) {
        self.connection = connection
        self.respond = respond
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let parts = (unwrapInboundIn(data).array ?? []).map { $0.string ?? "" }
        let answer: FakeRedisServer.Answer = parts.first?.uppercased() == "PING"
            ? .reply(.simpleString("PONG")) : respond(parts, connection)
        switch answer {
        case .reply(let value): queue.append((.now(), encoded(value)))
        case .raw(let text): queue.append((.now(), ByteBuffer(string: text)))
        case .after(let delay, let value): queue.append((.now() + TimeAmount(delay), encoded(value)))
        case .silence: queue.append((nil, ByteBuffer()))
        case .hangUp: queue.append((.now(), nil))
        }
        writeDue(context: context)
    }

    private func writeDue(context: ChannelHandlerContext) {
        while let (due, bytes) = queue.first {
            guard let due else { return }
            guard due <= .now() else {
                context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { self.writeDue(context: context) }
                return
            }
            queue.removeFirst()
            guard let bytes else {
                context.close(promise: nil)
                return
            }
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        }
    }

    private func encoded(_ value: RESPValue) -> ByteBuffer {
        var buffer = ByteBuffer()
        RESPEncoder.encode(value, into: &buffer)
        return buffer
    }
}
