import Synchronization

/// Opens once; whoever waits on it passes from then on. Background services wait on one until
/// the store is ready, and the PostgreSQL pool's users until the pool is running.
public final class StartGate: Sendable {
    private struct State {
        var isOpen: Bool
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    private init(open: Bool) { state = Mutex(State(isOpen: open)) }

    /// A gate that never blocks.
    public static var open: StartGate { StartGate(open: true) }
    public static func closed() -> StartGate { StartGate(open: false) }

    public func openGate() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    public func wait() async {
        await withCheckedContinuation { continuation in
            let passNow = state.withLock { state in
                if state.isOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if passNow { continuation.resume() }
        }
    }
}
