/// The id of the HTTP request a piece of work runs for, carried through the task tree so that
/// jobs a request enqueues (deep inside the store) remember it, and their log lines name it.
public enum RequestTrace {
    @TaskLocal public static var id: String?

    /// A request id a client may choose: 1 to 128 letters, digits, `-`, `_`, `.` or `:`.
    public static func isAcceptable(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy {
            $0.isUppercaseASCIILetter || $0.isASCIIDigit || (0x61...0x7A).contains($0) || [0x2D, 0x5F, 0x2E, 0x3A].contains($0)
        }
    }
}
