/// Schema version 11, shared by both drivers: the trace context a job was enqueued in, so that
/// its span joins the trace of the request (or job) that asked for it.
extension SharedMigrations {
    public static let jobTraceStatements = [
        "ALTER TABLE jobs ADD COLUMN trace_parent TEXT",
    ]

    public static let jobTraceContext = Migration(version: 11, name: "trace context of jobs",
                                                  statements: jobTraceStatements)
}
