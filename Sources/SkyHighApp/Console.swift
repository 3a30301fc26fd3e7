import Foundation

/// Lines for a person on standard output, written at once. `print` leaves them in stdio's buffer
/// when standard output is a pipe (Docker, a supervisor, `| tee`), so they would appear only when
/// the process exits.
public enum Console {
    public static func write(_ lines: String...) { write(lines) }

    public static func write(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
