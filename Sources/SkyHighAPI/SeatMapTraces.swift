import HTTPTypes
import Instrumentation
import Tracing

/// Spans for seat-map reads answered on the event loop (``DirectSeatMapReads``), which pass no
/// middleware. They come by the tens of thousands a second, so only some get a span: every read
/// that carries a `traceparent` (a client tracing its own work), and one in `every` of the rest.
/// The others cost one atomic increment.
public struct SeatMapTraces: Sendable {
    let sample: OneInN

    /// `every` 1 traces every read.
    public init(every: Int) {
        sample = OneInN(every: every)
    }

    /// A started server span for this read, or `nil` if it is not sampled.
    func span(for fields: HTTPFields) -> (any Span)? {
        var parent = InstrumentationContext.topLevel
        if fields[HTTPField.Name("traceparent")!] != nil {
            InstrumentationSystem.instrument.extract(fields, into: &parent, using: HTTPFieldsExtractor())
        } else if !sample.pick() {
            return nil
        }
        let span = startSpan("GET \(AbuseGuardMiddleware.seatMapRoute)", context: parent, ofKind: .server)
        span.attributes["http.request.method"] = "GET"
        span.attributes["http.route"] = AbuseGuardMiddleware.seatMapRoute
        span.attributes["skyhigh.fast_path"] = true
        return span
    }

    /// Ends a sampled read's span with its status.
    func end(_ span: (any Span)?, status: Int) {
        guard let span else { return }
        span.attributes["http.response.status_code"] = status
        span.end()
    }
}
