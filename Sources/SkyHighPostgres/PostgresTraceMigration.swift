import SkyHighStore

/// Version 11 on PostgreSQL: the shared `trace_parent` column of jobs, and `skyhigh_enqueue`
/// (which the one-round-trip seat writes call) filling it.
///
/// The seat-write functions pass their request argument on to `skyhigh_enqueue` untouched, so
/// rather than change the signature of all four, the argument now carries
/// `REQUEST_ID TRACEPARENT` (either part may be empty; a request id never holds a space, see
/// `RequestTrace.isAcceptable`). ``PostgresSeatWrites`` builds it with ``jobOrigin(requestID:traceParent:)``.
enum PostgresTraceMigration {
    static let migration = Migration(version: 11, name: "trace context of jobs",
                                     statements: SharedMigrations.jobTraceStatements + [
        """
        CREATE OR REPLACE FUNCTION skyhigh_enqueue(p_kind text, p_payload text, p_now timestamptz, p_attempts bigint,
                                                   p_request text) RETURNS void LANGUAGE sql AS $body$
            INSERT INTO jobs (job_id, kind, payload, state, run_at, attempts, max_attempts, request_id,
                              trace_parent, created_at, updated_at)
            VALUES (gen_random_uuid()::text, p_kind, p_payload, 'QUEUED', p_now, 0, p_attempts,
                    NULLIF(split_part(p_request, ' ', 1), ''), NULLIF(split_part(p_request, ' ', 2), ''),
                    p_now, p_now)
        $body$
        """,
    ])

    /// The request argument of the seat-write functions: the request id, then the trace context
    /// when there is one.
    static func jobOrigin(requestID: String?, traceParent: String?) -> String? {
        guard let traceParent else { return requestID }
        return "\(requestID ?? "") \(traceParent)"
    }
}
