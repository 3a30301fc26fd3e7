import Foundation

/// `scripts/otlp/receiver.py` run by a test: a real OTLP/HTTP receiver on 127.0.0.1 (a port the
/// kernel picks) that decodes the protobuf exports with PyPI's `opentelemetry-proto` and writes
/// each span as a JSON line; other POSTs (a notification webhook) are recorded with their
/// `traceparent`. Stopped by its PID.
public final class OTLPReceiverProcess: @unchecked Sendable {
    /// The receiver script in this repository.
    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/otlp/receiver.py").standardizedFileURL.path

    /// Whether python3 with `opentelemetry-proto` is there (`pip install opentelemetry-proto`).
    public static let isInstalled: Bool = {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import opentelemetry.proto.collector.trace.v1.trace_service_pb2"]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        guard (try? check.run()) != nil else { return false }
        check.waitUntilExit()
        return check.terminationStatus == 0
    }()

    /// Whether the environment demands the trace tests (CI sets `SKYHIGH_REQUIRE_OTLP=1`).
    public static var required: Bool { ProcessInfo.processInfo.environment["SKYHIGH_REQUIRE_OTLP"] == "1" }

    public let port: Int
    private let folder: URL
    private let process: ChildProcess

    private init(port: Int, folder: URL, process: ChildProcess) {
        self.port = port
        self.folder = folder
        self.process = process
    }

    /// The endpoint to set as `OTEL_EXPORTER_OTLP_ENDPOINT`.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Starts a receiver and waits until it listens.
    public static func start() async throws -> OTLPReceiverProcess {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skyhigh-otlp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let log = folder.appendingPathComponent("receiver.log").path
        let process = try ChildProcess("/usr/bin/env", [
            "python3", script, "--port", "0", "--out", folder.appendingPathComponent("spans.jsonl").path,
        ], log: log)
        var port: Int?
        _ = await waitUntil(within: .seconds(15)) {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            port = text.split(separator: "\n").first { $0.hasPrefix("listening on ") }
                .flatMap { Int($0.dropFirst("listening on ".count)) }
            return port != nil || !process.isRunning
        }
        guard let port, process.isRunning else {
            await process.stop()
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: folder)
            throw DidNotStart(detail: String(text.suffix(2000)))
        }
        return OTLPReceiverProcess(port: port, folder: folder, process: process)
    }

    /// Everything received so far, one object per span (or recorded request).
    public func records() -> [[String: Any]] {
        let text = (try? String(contentsOf: folder.appendingPathComponent("spans.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// The spans received so far.
    public func spans() -> [[String: Any]] { records().filter { $0["span_id"] != nil } }

    public func stop() async {
        await process.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    public struct DidNotStart: Error, CustomStringConvertible {
        public let detail: String
        public var description: String { "the OTLP receiver did not start: \(detail)" }
    }
}
