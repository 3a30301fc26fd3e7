import Foundation
import HTTPTypes
import Metrics
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Sent by a handler further in that answers a request completely by itself (writing beneath
/// this one, as ``SeatMapFastPath`` does), so that ``ConnectionGuard`` knows the request is
/// answered. An empty value: passing it allocates nothing.
struct AnsweredInPlace {}

/// Enforces ``ConnectionSettings`` on one connection: the connection limit, the request deadline
/// (slow heads and trickled bodies), the idle timeout, and the bounded drain and close after an
/// early answer. It sits first after the HTTP codec, so it sees every request part (also those
/// ``SeatMapFastPath`` answers) and every answer part Hummingbird writes; the decisions are
/// ``ConnectionState``'s.
///
/// One timer per connection, re-armed only when it fires (at most once per
/// ``ConnectionSettings/requestTimeout`` on a busy connection), so requests themselves schedule
/// nothing and allocate nothing here. Time is the event loop's (`EventLoop.now`), so tests on an
/// embedded channel move it.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let settings: ConnectionSettings
    private let gate: ConnectionGate
    private var state: ConnectionState
    private var activated = false
    private var admitted = false
    /// Closed by the guard, or gone: nothing more to watch.
    private var closed = false
    private var timer: Scheduled<Void>?
    /// Whether the current batch of reads completed any request part.
    private var sawParts = false

    init(settings: ConnectionSettings, gate: ConnectionGate) {
        self.settings = settings
        self.gate = gate
        self.state = ConnectionState(settings, now: .now())
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { activate(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        leave()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        leave()
    }

    private func activate(_ context: ChannelHandlerContext) {
        guard !activated else { return }
        activated = true
        let now = context.eventLoop.now
        state = ConnectionState(settings, now: now)
        admitted = gate.admit()
        if !admitted { state.refuse(now: now) }
        look(context, now: now)
    }

    private func leave() {
        closed = true
        timer?.cancel()
        timer = nil
        if admitted {
            admitted = false
            gate.release()
        }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        sawParts = true
        let action = switch unwrapInboundIn(data) {
        case .head: state.headReceived(now: context.eventLoop.now)
        case .body(let buffer): state.bodyReceived(bytes: buffer.readableBytes)
        case .end: state.endReceived(now: context.eventLoop.now)
        }
        switch action {
        case .forward: context.fireChannelRead(data)
        case .discard: break
        case .refuseOverLimit: answerFinally(context, Self.overLimit)
        case .close(let reason): close(context, reason)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Reading on past the application's back-pressure while draining: what is read is thrown away.
        if state.readComplete(sawParts: sawParts, now: context.eventLoop.now) { context.read() }
        sawParts = false
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError { state.parseFailed(now: context.eventLoop.now) }
        context.fireErrorCaught(error)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            if state.answerHeadWritten(status: head.status) {
                head.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
        case .body:
            break
        case .end:
            if state.answerEndWritten(now: context.eventLoop.now) {
                context.write(data, promise: whenSent(context, also: promise))
                return
            }
        }
        context.write(data, promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is AnsweredInPlace else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        state.answeredInPlace(now: context.eventLoop.now)
        promise?.succeed()
    }

    // MARK: Actions

    /// Writes an answer of the guard's own, then ends the connection as the state says.
    private func answerFinally(_ context: ChannelHandlerContext, _ answer: PreparedAnswer) {
        context.write(wrapOutboundOut(.head(answer.head)), promise: nil)
        context.write(wrapOutboundOut(.body(answer.body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: whenSent(context, also: nil))
    }

    /// A promise that tells the state when the answer ending the connection has been written.
    private func whenSent(_ context: ChannelHandlerContext, also promise: EventLoopPromise<Void>?) -> EventLoopPromise<Void> {
        let sent = context.eventLoop.makePromise(of: Void.self)
        sent.futureResult.assumeIsolated().whenComplete { result in
            switch result {
            case .failure:
                self.close(context, nil)
            case .success:
                switch self.state.answerSent() {
                case .close(let reason): self.close(context, reason)
                case .readMore: context.read()
                case .nothing: break
                }
            }
        }
        if let promise { sent.futureResult.cascade(to: promise) }
        return sent
    }

    /// Acts on a deadline that has passed, or sets the timer for the next look.
    private func look(_ context: ChannelHandlerContext, now: NIODeadline) {
        guard !closed else { return }
        switch state.deadlinePassed(now: now) {
        case .wait(let deadline):
            timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                self.timer = nil
                self.look(context, now: context.eventLoop.now)
            }
        case .answerTimeout:
            answerFinally(context, Self.requestTimeout)
            look(context, now: now)
        case .close(let reason):
            close(context, reason)
        }
    }

    private func close(_ context: ChannelHandlerContext, _ reason: ConnectionState.CloseReason?) {
        guard !closed else { return }
        closed = true
        if let reason {
            Counter(label: "skyhigh_http_connections_closed_total", dimensions: [("reason", reason.rawValue)]).increment()
        }
        context.close(promise: nil)
    }

    // MARK: The guard's own answers

    struct PreparedAnswer: Sendable {
        let head: HTTPResponse
        let body: ByteBuffer
    }

    static let overLimit = prepared(Problem(
        "too-many-connections", .serviceUnavailable, "Service unavailable",
        "this instance has all the connections it takes; retry shortly (another instance may have room)",
        headers: [.retryAfter: "1"]))

    static let requestTimeout = prepared(Problem(
        "request-timeout", .requestTimeout, "Request timeout", "the request did not arrive in time"))

    private static func prepared(_ problem: Problem) -> PreparedAnswer {
        let body = ByteBuffer(bytes: (try? JSONBody.encoder.encode(problem)) ?? Data("{}".utf8))
        var fields = problem.headers
        fields[.contentType] = "application/problem+json"
        fields[.contentLength] = String(body.readableBytes)
        fields[.connection] = "close"
        return PreparedAnswer(head: HTTPResponse(status: .init(code: problem.status), headerFields: fields), body: body)
    }
}

@available(*, unavailable)
extension ConnectionGuard: Sendable {}
