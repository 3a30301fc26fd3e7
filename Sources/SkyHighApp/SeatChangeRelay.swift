import SkyHighCore
import Synchronization

/// Passes seat changes the store reports to the seat-map cache and the live-change hub, which
/// exist only after the store does.
///
/// The target sits in a class, not in the mutex itself: a closure returned out of
/// `Mutex.withLock` is re-wrapped in a conversion thunk that is written back, so every call
/// would add two frames to the next one and a busy instance would slow down with each seat change.
final class SeatChangeRelay: Sendable {
    private final class Target: Sendable {
        let send: @Sendable (FlightID?) -> Void
        init(_ send: @escaping @Sendable (FlightID?) -> Void) { self.send = send }
    }

    private let target = Mutex<Target?>(nil)

    func connect(_ target: @escaping @Sendable (FlightID?) -> Void) { self.target.withLock { $0 = Target(target) } }

    /// `nil`: anything may have changed.
    func send(_ flight: FlightID?) { target.withLock { $0 }?.send(flight) }
}
