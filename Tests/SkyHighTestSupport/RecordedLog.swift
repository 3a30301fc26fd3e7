import Logging
import Synchronization

/// A logger that keeps every message, for tests that assert what was (or was not) logged.
public final class RecordedLog: Sendable {
    public struct Entry: Sendable {
        public let level: Logger.Level
        public let message: String
        /// The logger's metadata and the line's own, as text.
        public var metadata: [String: String] = [:]
    }

    private let stored = Mutex<[Entry]>([])

    public init() {}

    public var entries: [Entry] { stored.withLock { $0 } }

    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { _ in Handler(log: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func record(_ entry: Entry) { stored.withLock { $0.append(entry) } }

    private struct Handler: LogHandler {
        let log: RecordedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
            log.record(Entry(level: event.level, message: event.message.description, metadata: merged))
        }
    }
}
