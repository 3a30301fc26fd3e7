import Foundation

/// Whether and where traces are exported, read from OpenTelemetry's own variables (swift-otel
/// reads the rest itself: `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`,
/// `OTEL_BSP_*`, `OTEL_EXPORTER_OTLP_HEADERS`...). Traces are on only when an endpoint is set,
/// the SDK is not disabled and the traces exporter is not `none`; off, nothing is bootstrapped
/// and no span is made.
public struct TraceSettings: Sendable, Equatable {
    /// Where spans go: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as it is, else
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/traces` appended (swift-otel resolves it the same way).
    public var endpoint: String
    /// Seat-map reads answered from memory on the event loop get a span one in this many times
    /// (and whenever they carry a `traceparent`): `SKYHIGH_TRACE_SEATMAP_EVERY`.
    public var seatMapEvery: Int

    public init(endpoint: String, seatMapEvery: Int = 100) {
        self.endpoint = endpoint
        self.seatMapEvery = seatMapEvery
    }

    /// The protocols the built exporter speaks (only swift-otel's `OTLPHTTP` trait is built).
    static let protocols = ["http/protobuf", "http/json"]
}

extension SettingsReader {
    mutating func traceSettings() -> TraceSettings? {
        let every = int("SKYHIGH_TRACE_SEATMAP_EVERY", in: 1...1_000_000)
        guard var settings = otlpTraceSettings() else { return nil }
        if let every { settings.seatMapEvery = every }
        return settings
    }

    private mutating func otlpTraceSettings() -> TraceSettings? {
        if string("OTEL_SDK_DISABLED")?.lowercased() == "true" { return nil }
        if let exporter = string("OTEL_TRACES_EXPORTER")?.lowercased(), exporter != "otlp" {
            if exporter != "none" { problems.append("OTEL_TRACES_EXPORTER must be otlp or none") }
            return nil
        }
        for name in ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] {
            if let value = string(name), !TraceSettings.protocols.contains(value) {
                problems.append("\(name) must be one of \(TraceSettings.protocols.joined(separator: ", ")) (gRPC is not built in)")
            }
        }
        let specific = httpURL("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        let general = httpURL("OTEL_EXPORTER_OTLP_ENDPOINT")
        if let specific { return TraceSettings(endpoint: specific.absoluteString) }
        if let general { return TraceSettings(endpoint: general.appendingPathComponent("v1/traces").absoluteString) }
        return nil
    }
}
