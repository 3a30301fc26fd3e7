import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers seat-map reads on the event loop that parsed them, from memory, so the hottest read
/// skips the hop to a Swift task, the router and the middleware chain (``DirectSeatMapReads``
/// applies the same rules), and the answer's head is written as ready bytes beneath the HTTP
/// encoder. It sits in each connection's pipeline between the HTTP codec and Hummingbird; every
/// request it cannot answer, and everything on a connection while an earlier request is still
/// with Hummingbird, passes through untouched, so answers keep their order even when a client
/// pipelines. With the seat-map route behind it, it is the one deliberate exception to the
/// operations generated from the specification: its answer is bytes prepared once per seat-map
/// version, which a generated handler would decode and encode again (ARCHITECTURE.md).
final class SeatMapFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let reads: DirectSeatMapReads
    /// The HTTP encoder's place in the pipeline: bytes written there go straight to the socket.
    /// Without one (an unexpected pipeline) every request passes on.
    private var wire: ChannelHandlerContext?
    /// The peer's address, looked up once per connection.
    private var peer: String?
    /// Requests passed on whose answers have not been written yet.
    private var passedOn = 0
    /// The body and end of a request already answered here are dropped.
    private var discarding = false
    private var unflushed = false

    init(reads: DirectSeatMapReads) {
        self.reads = reads
    }

    func handlerAdded(context: ChannelHandlerContext) {
        wire = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
        peer = context.channel.remoteAddress?.ipAddress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        wire = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            if passedOn == 0, let wire, let answer = reads.answer(request, peer: peer) {
                discarding = true
                wire.write(NIOAny(answer.head), promise: nil)
                if let body = answer.body { wire.write(NIOAny(body), promise: nil) }
                unflushed = true
                // The connection's guard sits before this handler and never sees the answer.
                context.triggerUserOutboundEvent(AnsweredInPlace(), promise: nil)
                return
            }
            passedOn += 1
        case .body:
            if discarding { return }
        case .end:
            if discarding {
                discarding = false
                return
            }
        }
        context.fireChannelRead(data)
    }

    /// Answers are flushed once per batch of reads, as NIO's own servers do.
    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { passedOn -= 1 }
        context.write(data, promise: promise)
    }
}

/// Hummingbird's HTTP/1.1 server with every connection under a ``ConnectionGuard`` (limits and
/// deadlines) and seat-map reads answered by ``SeatMapFastPath``. Hummingbird's own idle timeout
/// stays off: it sees neither the requests the fast path answers nor a request's first bytes.
public func skyHighServer(_ environment: APIEnvironment, serverName: String?,
                          connections: ConnectionSettings = ConnectionSettings()) -> HTTPServerBuilder {
    let reads = DirectSeatMapReads(environment: environment, serverName: serverName)
    let gate = ConnectionGate(limit: connections.maxConnections)
    return .http1(configuration: .init(additionalChannelHandlers: [
        ConnectionGuard(settings: connections, gate: gate), SeatMapFastPath(reads: reads),
    ]))
}
