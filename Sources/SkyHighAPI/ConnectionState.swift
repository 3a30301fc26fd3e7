import HTTPTypes
import NIOCore

/// What one HTTP/1.1 connection is doing, as far as its deadlines and its end are concerned. A
/// value with no I/O and no clock: ``ConnectionGuard`` feeds it the connection's events with the
/// time, and performs the action each returns.
///
/// - A request is *being received* from its first byte until its end has been decoded; it must
///   be in within ``ConnectionSettings/requestTimeout``.
/// - A request is *unanswered* from its head until its answer's end has been written.
/// - With nothing being received and nothing unanswered, the connection is *idle*; after
///   ``ConnectionSettings/idleTimeout`` of that it is closed.
/// - An answer whose head goes out while its own request is still being received (a 413 decided
///   from `Content-Length`, a 401 from the headers) is *early*: it gets `Connection: close`, what
///   is left of the request is read and thrown away, bounded in bytes and by the request's
///   deadline, and the connection closes once the answer is out and the request is in.
struct ConnectionState {
    /// Why the guard closed a connection (the label of `skyhigh_http_connections_closed_total`).
    enum CloseReason: String, Sendable, CaseIterable {
        case idle
        case requestTimeout = "request-timeout"
        case answeredEarly = "answered-early"
        case malformed
        case overLimit = "over-limit"
    }

    enum InboundAction: Equatable {
        case forward
        case discard
        /// Answer 503 `too-many-connections` to this head, and report when it is out.
        case refuseOverLimit
        case close(CloseReason)
    }

    enum AfterAnswer: Equatable {
        case close(CloseReason)
        /// Keep reading (and discarding) what the client still sends.
        case readMore
        case nothing
    }

    enum DeadlineAction: Equatable {
        /// Look again then.
        case wait(until: NIODeadline)
        /// Answer 408 `request-timeout`, report when it is out, and look again (the connection
        /// is closing: it closes once the answer is out, or at the next deadline).
        case answerTimeout
        case close(CloseReason)
    }

    private enum Mode {
        case serving
        /// Over the connection limit: the first request head gets a 503; closed at `until` at the latest.
        case overLimit(until: NIODeadline)
        case closing(Closing)
    }

    private struct Closing {
        var reason: CloseReason
        var deadline: NIODeadline
        var requestReceived: Bool
        var answerSent = false
        var drained = 0
    }

    private let settings: (idle: TimeAmount, request: TimeAmount, linger: TimeAmount, drainLimit: Int)
    private var mode = Mode.serving
    /// When the request being received sent its first byte; `nil` between requests.
    private var receivingSince: NIODeadline?
    /// Whether the head of the request being received has arrived.
    private var headArrived = false
    private var unanswered = 0
    private var idleSince: NIODeadline

    init(_ settings: ConnectionSettings, now: NIODeadline) {
        self.settings = (TimeAmount(settings.idleTimeout), TimeAmount(settings.requestTimeout),
                         TimeAmount(settings.refusalLinger), settings.drainLimit)
        self.idleSince = now
    }

    /// Look at the deadlines at least this often, so that a deadline that starts after the timer
    /// was set can never be missed: it cannot end before the timer fires (see ``deadlinePassed(now:)``).
    private var lookInterval: TimeAmount { min(settings.idle, settings.request) }

    /// The connection is over the instance's limit.
    mutating func refuse(now: NIODeadline) {
        mode = .overLimit(until: now + settings.linger)
    }

    // MARK: What the client sends

    mutating func headReceived(now: @autoclosure () -> NIODeadline) -> InboundAction {
        switch mode {
        case .serving:
            if receivingSince == nil { receivingSince = now() }
            headArrived = true
            unanswered += 1
            return .forward
        case .overLimit(let until):
            mode = .closing(Closing(reason: .overLimit, deadline: until, requestReceived: false))
            return .refuseOverLimit
        case .closing:
            return .discard
        }
    }

    mutating func bodyReceived(bytes: Int) -> InboundAction {
        switch mode {
        case .serving:
            return .forward
        case .overLimit:
            return .discard
        case .closing(var closing):
            closing.drained += bytes
            mode = .closing(closing)
            return closing.drained > settings.drainLimit ? .close(closing.reason) : .discard
        }
    }

    mutating func endReceived(now: @autoclosure () -> NIODeadline) -> InboundAction {
        receivingSince = nil
        headArrived = false
        switch mode {
        case .serving:
            if unanswered == 0 { idleSince = now() }
            return .forward
        case .overLimit:
            return .discard
        case .closing(var closing):
            closing.requestReceived = true
            mode = .closing(closing)
            return closing.answerSent ? .close(closing.reason) : .discard
        }
    }

    /// A batch of bytes was read; `sawParts` if it completed any part of a request. Bytes that
    /// completed nothing, between requests, are the start of a head: its deadline starts now.
    /// `true`: read on even if the application is not asking for more (draining).
    mutating func readComplete(sawParts: Bool, now: @autoclosure () -> NIODeadline) -> Bool {
        switch mode {
        case .serving:
            if !sawParts, receivingSince == nil { receivingSince = now() }
            return false
        case .overLimit:
            return false
        case .closing:
            return true
        }
    }

    /// The HTTP decoder could not parse the request: the answer (a 400) ends the connection.
    mutating func parseFailed(now: NIODeadline) {
        if case .closing = mode { return }
        let started = receivingSince ?? now
        mode = .closing(Closing(reason: .malformed, deadline: started + settings.request, requestReceived: true))
    }

    // MARK: What the server answers

    /// A request was answered in full from memory, beneath this handler (``SeatMapFastPath``).
    mutating func answeredInPlace(now: @autoclosure () -> NIODeadline) {
        unanswered = max(0, unanswered - 1)
        if unanswered == 0, receivingSince == nil { idleSince = now() }
    }

    /// An answer's head is going out; `true`: it must carry `Connection: close`.
    mutating func answerHeadWritten(status: HTTPResponse.Status) -> Bool {
        guard status.kind != .informational else { return false }
        switch mode {
        case .closing:
            return true
        case .overLimit:
            return false
        case .serving:
            // Answers leave in request order, so with one request unanswered this answer is for
            // the request still being received.
            guard headArrived, unanswered == 1, let started = receivingSince else { return false }
            mode = .closing(Closing(reason: .answeredEarly, deadline: started + settings.request, requestReceived: false))
            return true
        }
    }

    /// An answer's end is going out; `true`: report with ``answerSent()`` once it is written.
    mutating func answerEndWritten(now: @autoclosure () -> NIODeadline) -> Bool {
        unanswered = max(0, unanswered - 1)
        if case .closing = mode { return true }
        if unanswered == 0, receivingSince == nil { idleSince = now() }
        return false
    }

    /// The answer that ends the connection has been written to the socket.
    mutating func answerSent() -> AfterAnswer {
        guard case .closing(var closing) = mode else { return .nothing }
        closing.answerSent = true
        mode = .closing(closing)
        return closing.requestReceived ? .close(closing.reason) : .readMore
    }

    // MARK: Time

    /// The connection's timer fired (or was first set). Each `.wait` is at most one
    /// ``lookInterval`` away unless it is an exact deadline already running, so a request or an
    /// idle spell that starts later still ends no earlier than the next look.
    mutating func deadlinePassed(now: NIODeadline) -> DeadlineAction {
        switch mode {
        case .overLimit(let until):
            return now >= until ? .close(.overLimit) : .wait(until: until)
        case .closing(let closing):
            return now >= closing.deadline ? .close(closing.reason) : .wait(until: closing.deadline)
        case .serving:
            if let started = receivingSince {
                let deadline = started + settings.request
                guard now >= deadline else { return .wait(until: deadline) }
                // A 408 only where no other answer is owed: a request with the application
                // (its head arrived, or an earlier one is still being answered) is simply cut off.
                if headArrived || unanswered > 0 { return .close(.requestTimeout) }
                mode = .closing(Closing(reason: .requestTimeout, deadline: now + settings.linger, requestReceived: true))
                return .answerTimeout
            }
            if unanswered > 0 { return .wait(until: now + lookInterval) }
            let deadline = idleSince + settings.idle
            return now >= deadline ? .close(.idle) : .wait(until: min(deadline, now + lookInterval))
        }
    }
}
