import Metrics
import Synchronization

/// Counts one server's open connections against ``ConnectionSettings/maxConnections``. Shared by
/// the connections of every event loop, so the count is one atomic integer.
final class ConnectionGate: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place for a new connection; `false` (and no place taken) when all are in use.
    func admit() -> Bool {
        let count = open.wrappingAdd(1, ordering: .relaxed).newValue
        guard count <= limit else {
            open.wrappingSubtract(1, ordering: .relaxed)
            Counter(label: "skyhigh_http_connections_refused_total").increment()
            return false
        }
        Meter(label: "skyhigh_http_connections").increment()
        return true
    }

    /// Gives back the place of a connection that ``admit()`` let in.
    func release() {
        open.wrappingSubtract(1, ordering: .relaxed)
        Meter(label: "skyhigh_http_connections").decrement()
    }

    /// Connections holding a place now.
    var count: Int { open.load(ordering: .relaxed) }
}
