/// The id of the HTTP request a piece of work runs for, carried through the task tree so that
/// jobs a request enqueues (deep inside the store) remember it, and their log lines name it.
public enum RequestTrace {
    @TaskLocal public static var id: String?

    /// The W3C `traceparent` of the span the current work runs in, set only while traces are
    /// exported: jobs enqueued under it store it and run in the same trace.
    @TaskLocal public static var traceParent: String?

    /// A request id a client may choose: 1 to 128 letters, digits, `-`, `_`, `.` or `:`.
    public static func isAcceptable(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { $0.isASCIILetterOrDigit || "-_.:".utf8.contains($0) }
    }
}
