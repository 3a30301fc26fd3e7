import Logging
import NIOCore
import NIOPosix
import SkyHighCore
import SkyHighPostgres
import SkyHighTestSupport
import Testing

/// A listening connection whose `LISTEN` is never confirmed (the connection closed under it at a
/// failover or a shutdown, or a server that froze right after the handshake) is given up and
/// opened again, and never keeps the service from stopping.
@Suite struct PostgresListenerTests {
    /// Speaks PostgreSQL up to "ready for query" (no SSL, no password), then says nothing more.
    final class SilentAfterStartup: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var pending = ByteBuffer()
        private var greeted = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            guard !greeted else { return }
            pending.writeBuffer(&bytes)
            guard let length = pending.getInteger(at: pending.readerIndex, as: Int32.self),
                  pending.readableBytes >= Int(length),
                  let code = pending.getInteger(at: pending.readerIndex + 4, as: Int32.self) else { return }
            pending.moveReaderIndex(forwardBy: Int(length))
            var answer = context.channel.allocator.buffer(capacity: 32)
            if code == 80_877_103 { // SSLRequest: no
                answer.writeInteger(UInt8(ascii: "N"))
            } else {
                greeted = true
                answer.writeInteger(UInt8(ascii: "R")); answer.writeInteger(Int32(8)); answer.writeInteger(Int32(0))
                answer.writeInteger(UInt8(ascii: "K")); answer.writeInteger(Int32(12))
                answer.writeInteger(Int32(4242)); answer.writeInteger(Int32(1))
                answer.writeInteger(UInt8(ascii: "Z")); answer.writeInteger(Int32(5)); answer.writeInteger(UInt8(ascii: "I"))
            }
            context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
        }
    }

    @Test func aListenNeverConfirmedIsGivenUpAndTheServiceStillStops() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.pipeline.addHandler(SilentAfterStartup()) }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)
        let client = try PostgresStore.client(url: "postgres://skyhigh@127.0.0.1:\(port)/skyhigh?sslmode=disable",
                                              maximumConnections: 4)
        let pool = PostgresPool(client: client)
        let log = RecordedLog()
        let listener = PostgresListener(client: client, channel: .seats, logger: log.logger(),
                                        listenTimeout: .milliseconds(200), poolRunning: pool.running) { _ in }
        let ended = Observed<String>()
        let poolTask = Task { await pool.run(); ended.report("pool") }
        let listenerTask = Task {
            try? await listener.run()
            ended.report("listener")
        }
        defer { poolTask.cancel(); listenerTask.cancel() }

        let givenUp = { log.entries.filter { ($0.metadata["error"] ?? "").contains("was not confirmed") }.count }
        #expect(await eventually(within: .seconds(30)) { givenUp() >= 2 }, "each LISTEN is given up, then tried again")
        listenerTask.cancel()
        // Bounded: a listener that waits on its stuck LISTEN shows as a failure here, not a hang.
        #expect(await ended.wait(within: .seconds(10)) { $0.contains("listener") }, "the cancelled listener stops")
    }
}
