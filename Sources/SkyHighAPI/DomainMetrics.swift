import Metrics

/// Counters of what happens to holds and the waitlist, for `GET /metrics`. Each count asks the
/// metrics system of the moment (cheap: the backend keeps one counter per name and labels), so
/// counting works whenever the backend was bootstrapped.
public enum DomainMetrics {
    public enum HoldOutcome: String, CaseIterable, Sendable {
        case created, conflict, expired, confirmed, cancelled
    }

    public static func hold(_ outcome: HoldOutcome, count: Int = 1) {
        guard count > 0 else { return }
        Counter(label: "skyhigh_holds_total", dimensions: [("outcome", outcome.rawValue)]).increment(by: Int64(count))
    }

    /// The reasons of `skyhigh_http_connections_closed_total`, for counting them from zero.
    public static var connectionCloseReasons: [String] { ConnectionState.CloseReason.allCases.map(\.rawValue) }

    public static func waitlistAssigned() { Counter(label: "skyhigh_waitlist_assignments_total").increment() }

    /// Live seat-change streams open now.
    static func seatEventStreamOpened() { Meter(label: "skyhigh_seat_event_streams").increment() }
    static func seatEventStreamClosed() { Meter(label: "skyhigh_seat_event_streams").decrement() }
    /// Streams closed because their client stopped reading.
    static func seatEventStreamDropped() { Counter(label: "skyhigh_seat_event_streams_dropped_total").increment() }
}
