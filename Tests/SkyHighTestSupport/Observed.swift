import Foundation
import SkyHighCore
import Synchronization

/// Something a test waits for: values reported from any task or thread, awaited until a
/// condition holds, for at most a time limit. The wait ends the moment a report makes the
/// condition true; it never polls.
public final class Observed<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    private let reported = WakeSignal()

    public init() {}

    public func report(_ value: Value) {
        values.withLock { $0.append(value) }
        reported.signal()
    }

    /// Wakes waiters to look at their condition again (for conditions on other state).
    public func poke() { reported.signal() }

    public var all: [Value] { values.withLock { $0 } }

    /// Waits until `condition` holds for the values reported so far; `false` if `limit` ran out.
    @discardableResult
    public func wait(within limit: Duration, until condition: ([Value]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !condition(all) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            await reported.wait(upTo: left)
        }
        return true
    }
}

/// Reads the flight's seat map until its version reaches `version`, for at most `limit`: on
/// PostgreSQL a version counts once every older transaction has ended (``SeatVersioning``), which
/// other tests' transactions on the same server may delay by a moment.
public func settledSeatMap(_ store: any FlightStore, _ flight: FlightID, at now: Date, reaching version: Int64,
                           within limit: Duration = .seconds(30)) async throws -> SeatMap? {
    let deadline = ContinuousClock.now + limit
    while true {
        let map = try await store.seatMap(flight, at: now)
        guard let current = map, current.version < version, ContinuousClock.now < deadline else { return map }
        await WakeSignal().wait(upTo: .milliseconds(10))
    }
}
