import NIOCore
import Synchronization

/// Commands on their way to the handler: the encoded bytes of one or more commands, how many
/// replies they will get, when to give up on them, and where the replies go.
struct RedisRequest: Sendable {
    let id: UInt64
    let bytes: ByteBuffer
    let replyCount: Int
    let deadline: NIODeadline
    let promise: EventLoopPromise<[RESPValue]>
}

/// Sent down the pipeline when the caller of request `id` stops waiting (its task was cancelled):
/// its replies are still read, to stay in step, and then dropped.
struct RedisAbandonRequest: Sendable {
    let id: UInt64
}

/// What the handler and the client both see of one connection.
final class RedisConnectionHealth: Sendable {
    private let givenUp = Atomic<Bool>(false)
    private let commandsInFlight = Atomic<Int>(0)
    private let closeReason = Mutex<RedisDisconnectReason?>(nil)

    /// Whether the connection may still take commands.
    var isUsable: Bool { !givenUp.load(ordering: .acquiring) }

    /// The first reason the connection was given up for.
    var reason: RedisDisconnectReason? { closeReason.withLock { $0 } }

    /// Marks the connection as one that takes no more commands, remembering why (the first
    /// reason wins); `nil` for a deliberate close.
    func giveUp(_ reason: RedisDisconnectReason?) {
        if let reason { closeReason.withLock { $0 = $0 ?? reason } }
        givenUp.store(true, ordering: .releasing)
    }

    /// Counts `count` more commands in flight unless that would pass `limit`.
    func reserve(_ count: Int, limit: Int) -> Bool {
        let total = commandsInFlight.wrappingAdd(count, ordering: .relaxed).newValue
        guard total <= limit else {
            commandsInFlight.wrappingSubtract(count, ordering: .relaxed)
            return false
        }
        return true
    }

    func release(_ count: Int) {
        commandsInFlight.wrappingSubtract(count, ordering: .relaxed)
    }
}

/// Matches replies to requests in the order the requests were written, fails requests that
/// outlive their deadline, and gives the connection up (closing it) when it can no longer be
/// trusted to stay in step: a timeout, a protocol violation, an I/O error.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Waiting {
        let id: UInt64
        let replyCount: Int
        /// `nil` once the caller has stopped waiting.
        var promise: EventLoopPromise<[RESPValue]>?
        let timer: Scheduled<Void>
    }

    private let health: RedisConnectionHealth
    private var waiting = CircularBuffer<Waiting>()
    /// The replies gathered so far for the oldest waiting request.
    private var replies: [RESPValue] = []
    private var givenUp = false

    init(health: RedisConnectionHealth) {
        self.health = health
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        // The write promise says only that the request got here: from now on this handler owns
        // the request's promise and its count in flight.
        promise?.succeed(())
        guard !givenUp else {
            health.release(request.replyCount)
            request.promise.fail(RedisError.unavailable)
            return
        }
        let id = request.id
        let timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: request.deadline) {
            self.timedOut(id, context: context)
        }
        waiting.append(Waiting(id: id, replyCount: request.replyCount, promise: request.promise, timer: timer))
        context.write(wrapOutboundOut(request.bytes), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !givenUp else { return }
        guard let oldest = waiting.first else {
            giveUp(context: context, reason: .protocolViolation(RESPProtocolError.unexpectedReply.description),
                   error: RedisError.protocolViolation(.unexpectedReply))
            return
        }
        replies.append(unwrapInboundIn(data))
        guard replies.count == oldest.replyCount else { return }
        waiting.removeFirst()
        oldest.timer.cancel()
        health.release(oldest.replyCount)
        let complete = replies
        replies = []
        oldest.promise?.succeed(complete)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let abandon = event as? RedisAbandonRequest else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        takePromise(of: abandon.id)?.fail(CancellationError())
        promise?.succeed(())
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let violation = error as? RESPProtocolError {
            giveUp(context: context, reason: .protocolViolation(violation.description),
                   error: RedisError.protocolViolation(violation))
        } else {
            giveUp(context: context, reason: .connectionClosed("\(error)"), error: RedisError.connectionLost)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        health.giveUp(.connectionClosed("closed by the server"))
        givenUp = true
        failAll(RedisError.connectionLost)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Every promise is completed, however the pipeline ends.
        health.giveUp(nil)
        givenUp = true
        failAll(RedisError.connectionLost)
    }

    private func timedOut(_ id: UInt64, context: ChannelHandlerContext) {
        guard !givenUp, waiting.contains(where: { $0.id == id }) else { return }
        // The reply may still come, but then every later reply would go to the wrong caller.
        health.giveUp(.timeout)
        takePromise(of: id)?.fail(RedisError.timeout)
        giveUp(context: context, reason: .timeout, error: RedisError.connectionLost)
    }

    /// Removes the promise of request `id` from the queue (its replies are still awaited) and
    /// returns it. Completing a promise can run code that re-enters this handler (a close), so
    /// the queue is settled before any promise is completed.
    private func takePromise(of id: UInt64) -> EventLoopPromise<[RESPValue]>? {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return nil }
        let promise = waiting[index].promise
        waiting[index].promise = nil
        return promise
    }

    /// Takes no more commands, fails everything waiting with `error`, and closes.
    private func giveUp(context: ChannelHandlerContext, reason: RedisDisconnectReason, error: RedisError) {
        guard !givenUp else { return }
        health.giveUp(reason)
        givenUp = true
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        let failed = waiting
        waiting.removeAll()
        replies = []
        for request in failed {
            request.timer.cancel()
            health.release(request.replyCount)
            request.promise?.fail(error)
        }
    }
}
