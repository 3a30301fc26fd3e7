import HTTPTypes
import Instrumentation
import SkyHighCore
import Tracing

/// The trace context as W3C `traceparent` text and back, through whatever propagator the
/// process bootstrapped (swift-otel's W3C one when traces are exported; without it nothing is
/// written or read). Jobs store this text; outgoing calls send it as a header.
public enum TraceContext {
    /// The `traceparent` of the current span, or `nil` outside one.
    public static func currentTraceParent() -> String? {
        guard let context = InstrumentationContext.current else { return nil }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryInjector())
        return carrier["traceparent"]
    }

    /// A context whose span is the one `traceParent` names, to start a child span in.
    public static func context(traceParent: String) -> InstrumentationContext {
        var context = InstrumentationContext.topLevel
        InstrumentationSystem.instrument.extract(["traceparent": traceParent], into: &context, using: DictionaryExtractor())
        return context
    }

    /// Runs `body` with `span` as the current span, and its `traceparent` as the one jobs store.
    public static func within<T>(_ span: any Span, _ body: () async throws -> T) async rethrows -> T {
        try await InstrumentationContext.$current.withValue(span.context) {
            try await RequestTrace.$traceParent.withValue(currentTraceParent()) { try await body() }
        }
    }

    /// Writes the current trace context into outgoing request headers.
    public static func inject(into headers: inout [String: String]) {
        guard let context = InstrumentationContext.current else { return }
        InstrumentationSystem.instrument.inject(context, into: &headers, using: DictionaryInjector())
    }
}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from headers: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { headers[$0] }
    }
}
