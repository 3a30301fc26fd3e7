import Logging
import Metrics
import OTel
import ServiceLifecycle
import Tracing

/// Exporting traces with swift-otel over OTLP/HTTP: bootstrapped once per process, only when
/// ``TraceSettings`` say traces are on. Spans go through swift-otel's batch processor: ending a
/// span hands it over without waiting; a background task exports batches; when its bounded
/// queue (`OTEL_BSP_MAX_QUEUE_SIZE`, default 2048) is full, spans are dropped and counted in
/// `skyhigh_trace_spans_dropped_total`, and spans of batches the collector did not take in
/// `skyhigh_trace_spans_export_failed_total`. A slow or dead collector never delays a request.
public enum TraceExport {
    /// Installs the tracer and answers the service that exports (run it in the service group,
    /// listed before the application so that it stops last and flushes), or `nil` when traces
    /// are off. Call at most once per process, before the first span.
    public static func bootstrap(_ settings: TraceSettings?, logger: Logger) throws -> (any Service)? {
        guard let settings else { return nil }
        // The export's counters (``ExportCounters``) are made when the metrics system starts.
        Telemetry.start()
        var configuration = OTel.Configuration.default
        configuration.serviceName = "skyhigh"
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        let base = Logger(label: "skyhigh.traces").handler
        configuration.diagnosticLogger = .custom(Logger(label: "skyhigh.traces") { _ in
            ExportDiagnostics(base: base, counters: .shared)
        })
        // Environment variables (OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, ...) override the above.
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        logger.info("exporting traces", metadata: ["endpoint": "\(settings.endpoint)"])
        return backend.service
    }
}

/// The export's losses, on `GET /metrics` from the start (at zero).
struct ExportCounters: Sendable {
    static let shared = ExportCounters()
    let dropped = Counter(label: "skyhigh_trace_spans_dropped_total")
    let failed = Counter(label: "skyhigh_trace_spans_export_failed_total")
}

/// swift-otel's own log, passed on to the process's log, with the losses it reports counted:
/// its batch processor says how many spans it dropped for a full queue, and how large a batch was
/// that failed to export, only in these log lines.
struct ExportDiagnostics: LogHandler {
    var base: any LogHandler
    let counters: ExportCounters

    static let droppedMessage = "Spans were dropped this iteration because queue was full"
    static let failedMessage = "Failed to export batch."

    func log(event: LogEvent) {
        let message = event.message.description
        if message == Self.droppedMessage, let count = number("dropped_count", event) {
            counters.dropped.increment(by: count)
        } else if message == Self.failedMessage, let count = number("batch_size", event) {
            counters.failed.increment(by: count)
        }
        base.log(event: event)
    }

    private func number(_ key: String, _ event: LogEvent) -> Int? {
        (event.metadata?[key] ?? base[metadataKey: key]).flatMap { Int("\($0)") }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }
}
