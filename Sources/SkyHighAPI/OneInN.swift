import Synchronization

/// Picks one in `every` of the events it is asked about, from any thread, for one atomic
/// increment: the sampling of the access log and of seat-map spans.
public final class OneInN: Sendable {
    public let every: Int
    private let count = Atomic<Int>(0)

    /// `every` 1 picks every event.
    public init(every: Int) {
        precondition(every >= 1)
        self.every = every
    }

    /// Whether this event is picked.
    func pick() -> Bool { count.add(1, ordering: .relaxed).newValue % every == 0 }
}
