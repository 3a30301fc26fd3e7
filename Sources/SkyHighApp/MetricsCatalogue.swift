import Metrics
import SkyHighAPI
import SkyHighCore

/// Every metric the service exports, with the `# HELP` text `GET /metrics` gives it, and the
/// counters that exist from the first scrape, at zero for each of their known labels, so that
/// alert rules and dashboards work before the first event.
enum MetricsCatalogue {
    static let help: [String: String] = [
        // Requests and connections
        "skyhigh_http_requests_total": "HTTP requests answered, by route template, method and status.",
        "skyhigh_http_request_duration_seconds": "Time to answer an HTTP request, by route template, method and status.",
        "skyhigh_http_connections": "HTTP connections open now.",
        "skyhigh_http_connections_refused_total": "Connections refused at once because SKYHIGH_MAX_CONNECTIONS were open.",
        "skyhigh_http_connections_closed_total": "Connections the server closed, by reason (idle, request-timeout, answered-early, malformed, over-limit).",
        "skyhigh_auth_token_lookups_total": "Bearer tokens looked up in the store (a miss of the in-memory session cache).",
        "skyhigh_auth_unknown_tokens_remembered_total": "Requests with an unknown token answered from memory, without a store lookup.",
        // Seats and the waitlist
        "skyhigh_holds_total": "Seat holds by outcome: created, conflict (the seat was taken), expired, confirmed, cancelled.",
        "skyhigh_waitlist_assignments_total": "Freed seats given to a waitlisted passenger.",
        "skyhigh_seat_event_streams": "Live seat-change streams open now.",
        "skyhigh_seat_event_streams_dropped_total": "Live streams closed because their client stopped reading.",
        "skyhigh_seat_event_streams_refused_total": "Live streams refused, by the limit reached (client or instance).",
        // Abuse rules
        "skyhigh_guard_requests_total": "Requests the abuse guard decided, by outcome (allowed, limited, blocked).",
        "skyhigh_abuse_incidents_total": "Bot-rule incidents detected (each blocks a client).",
        "skyhigh_abuse_active_blocks": "Clients blocked now.",
        "skyhigh_guard_redis_up": "1 while the abuse guard shares its counts through Redis, 0 while each instance counts alone.",
        "skyhigh_guard_redis_exchanges_total": "Rounds of sharing counts through Redis, by outcome (ok, failed).",
        "skyhigh_guard_redis_fallbacks_total": "Times the abuse guard fell back to counting alone because Redis did not answer.",
        // Background work
        "skyhigh_jobs": "Jobs in the queue, by state.",
        "skyhigh_jobs_oldest_waiting_age_seconds": "How long the oldest job that is due has waited for a worker (0 when none waits).",
        "skyhigh_job_duration_seconds": "Time to run a job, by kind.",
        "skyhigh_jobs_died_total": "Jobs that used up their attempts and will not run again until an admin retries them.",
        "skyhigh_jobs_postponed_total": "Jobs put off because a service they need is down (no attempt used).",
        "skyhigh_repairs_total": "Due work found again by the repair service, by kind (seat-offered, payment-reconcile).",
        "skyhigh_rows_purged_total": "Old rows purged by the retention sweep, by table.",
        "skyhigh_payment_followups_total": "Payment events that needed a follow-up (a success owed back, a refund due).",
        "skyhigh_payment_followups_unrecorded_total": "Payment follow-ups that could not be recorded (the store was away); the repair finds them.",
        // The store and traces
        "skyhigh_store_operations_in_flight": "Store calls in progress, by store.",
        "skyhigh_store_pool_size": "The store's connection pool size, by store.",
        "skyhigh_trace_spans_dropped_total": "Trace spans dropped because the export queue was full.",
        "skyhigh_trace_spans_export_failed_total": "Trace spans whose export to the collector failed.",
    ]

    /// The help text for `name`; a metric a library records gets one that says so.
    static func help(for name: String) -> String {
        help[name] ?? "\(name), recorded by a library the service uses."
    }

    /// Creates the metrics whose labels are known in advance, at zero: the API's, and this
    /// module's that are not made with an object at start-up (the guard's and the stream limits'
    /// are).
    static func startAtZero() {
        DomainMetrics.startAtZero()
        for record in RetainedRecord.allCases {
            _ = Counter(label: "skyhigh_rows_purged_total", dimensions: [("table", record.rawValue)])
        }
        _ = (RepairService.repaired, JobMetrics.died, JobMetrics.postponed, ExportCounters.shared)
        JobGauges.recordNothingWaiting()
    }
}
