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

    /// Creates this module's metrics whose labels are known in advance, at zero, so that they are
    /// on the first scrape (those made with an object, the guard's say, exist once it does).
    public static func startAtZero() {
        for outcome in HoldOutcome.allCases {
            _ = Counter(label: "skyhigh_holds_total", dimensions: [("outcome", outcome.rawValue)])
        }
        for reason in ConnectionState.CloseReason.allCases {
            _ = Counter(label: "skyhigh_http_connections_closed_total", dimensions: [("reason", reason.rawValue)])
        }
        for name in ["skyhigh_waitlist_assignments_total", "skyhigh_seat_event_streams_dropped_total",
                     "skyhigh_http_connections_refused_total"] {
            _ = Counter(label: name)
        }
        _ = (PaymentMetrics.followUps, AuthMetrics.lookups, AuthMetrics.unknownFromMemory)
        _ = Meter(label: "skyhigh_seat_event_streams")
        _ = Meter(label: "skyhigh_http_connections")
    }

    public static func waitlistAssigned() { Counter(label: "skyhigh_waitlist_assignments_total").increment() }

    /// Live seat-change streams open now.
    static func seatEventStreamOpened() { Meter(label: "skyhigh_seat_event_streams").increment() }
    static func seatEventStreamClosed() { Meter(label: "skyhigh_seat_event_streams").decrement() }
    /// Streams closed because their client stopped reading.
    static func seatEventStreamDropped() { Counter(label: "skyhigh_seat_event_streams_dropped_total").increment() }
}
