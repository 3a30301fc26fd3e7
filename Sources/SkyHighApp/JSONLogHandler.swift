import Foundation
import Logging
import OTel
import Synchronization

/// One JSON object per line on standard error: `ts`, `level`, `label`, `message`, `source`, and
/// the metadata as string members, the request's id always as `request_id`. For log shippers
/// that read JSON.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private static let output = Mutex(FileHandle.standardError)

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        let merged = metadata.merging(metadataProvider?.get() ?? [:]) { $1 }.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged { fields[key] = "\(value)" }
        // Hummingbird's own request id is the request id unless the client chose one.
        if let framework = fields.removeValue(forKey: "hb.request.id"), fields["request_id"] == nil {
            fields["request_id"] = framework
        }
        if let error = event.error { fields["error"] = "\(error)" }
        fields["ts"] = Date.now.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = event.message.description
        fields["source"] = event.source
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(fields) else { return }
        line.append(0x0A)
        Self.output.withLock { $0.write(line) }
    }
}

/// How log lines look: `text` for people, `json` for machines (`SKYHIGH_LOG_FORMAT`).
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json

    /// Installs the format for the whole process; call once, before the first logger is made.
    /// With `traced`, every line logged inside a span carries `trace_id` and `span_id`.
    public func bootstrap(traced: Bool = false) {
        let provider = traced ? OTel.makeLoggingMetadataProvider() : nil
        switch self {
        case .text: LoggingSystem.bootstrap({ StreamLogHandler.standardError(label: $0, metadataProvider: $1) },
                                            metadataProvider: provider)
        case .json: LoggingSystem.bootstrap({ JSONLogHandler(label: $0, metadataProvider: $1) }, metadataProvider: provider)
        }
    }
}
