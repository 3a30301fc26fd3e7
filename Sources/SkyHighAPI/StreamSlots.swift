import Foundation
import Metrics
import Synchronization

/// How many live seat-change streams may be open at once.
public struct StreamLimits: Sendable, Equatable {
    /// Per client (its booking, else its address; an allowlisted address is not limited by this).
    public var perClient: Int
    /// On this instance, whoever holds them.
    public var perInstance: Int

    public init(perClient: Int = 4, perInstance: Int = 10_000) {
        self.perClient = perClient
        self.perInstance = perInstance
    }
}

/// The live streams open on this instance, by client. A stream takes a ``StreamSlot`` before
/// its answer starts and gives it back when it ends, so each open stream costs its client one
/// slot however it ends.
final class StreamSlots: Sendable {
    enum Refusal: Error, Equatable {
        case client
        case instance
    }

    private struct Open {
        var total = 0
        var byClient: [String: Int] = [:]
    }

    let limits: StreamLimits
    private let open = Mutex(Open())
    private let refused = (client: Counter(label: "skyhigh_seat_event_streams_refused_total", dimensions: [("limit", "client")]),
                           instance: Counter(label: "skyhigh_seat_event_streams_refused_total", dimensions: [("limit", "instance")]))

    init(limits: StreamLimits) {
        self.limits = limits
    }

    /// A slot for `client`, or the limit that refuses it. `exempt` clients (allowlisted
    /// addresses) are held only to the instance's limit.
    func take(for client: String, exempt: Bool = false) throws(Refusal) -> StreamSlot {
        let refusal = open.withLock { open -> Refusal? in
            guard open.total < limits.perInstance else { return .instance }
            let held = open.byClient[client, default: 0]
            guard exempt || held < limits.perClient else { return .client }
            open.total += 1
            open.byClient[client] = held + 1
            return nil
        }
        switch refusal {
        case .client?:
            refused.client.increment()
            throw .client
        case .instance?:
            refused.instance.increment()
            throw .instance
        case nil:
            return StreamSlot(client: client, slots: self)
        }
    }

    fileprivate func release(_ client: String) {
        open.withLock { open in
            open.total -= 1
            let held = open.byClient[client, default: 1] - 1
            open.byClient[client] = held > 0 ? held : nil
        }
    }
}

/// One open stream's place. Given back once, by ``release()`` or, if the answer was dropped
/// before its body ran, when the slot is freed.
final class StreamSlot: Sendable {
    let client: String
    private let slots: StreamSlots
    private let held = Mutex(true)

    fileprivate init(client: String, slots: StreamSlots) {
        self.client = client
        self.slots = slots
    }

    func release() {
        let wasHeld = held.withLock { held in
            defer { held = false }
            return held
        }
        if wasHeld { slots.release(client) }
    }

    deinit { release() }
}
