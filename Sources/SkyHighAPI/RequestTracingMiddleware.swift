import HTTPTypes
import Hummingbird
import Instrumentation
import Tracing

/// One server span per request, after OpenTelemetry's HTTP conventions: named `METHOD route`
/// (the route template, so `/flights/{flightId}/holds`, never a flight's id), with
/// `http.request.method`, `http.route`, `url.path`, `http.response.status_code`, and the
/// request id. A `traceparent` from the client is honoured: the span is its child. Installed
/// outermost, and only when traces are exported; it ends once the answer's body is written, so
/// a live seat-change stream is one span for as long as it is open. Scrapes and health checks,
/// which come every few seconds from machines and tell nothing of a passenger's flow, get none.
struct RequestTracingMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let untraced: Set<String> = ["/metrics", "/health/live", "/health/ready"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.untraced.contains(request.uri.path) { return try await next(request, context) }
        var parent = InstrumentationContext.current ?? .topLevel
        InstrumentationSystem.instrument.extract(request.headers, into: &parent, using: HTTPFieldsExtractor())
        let method = request.method.rawValue
        let span = startSpan(method, context: parent, ofKind: .server)
        span.attributes["http.request.method"] = method
        span.attributes["url.path"] = request.uri.path
        do {
            var response = try await TraceContext.within(span) { try await next(request, context) }
            finish(span, context: context, status: response.status.code)
            span.attributes["skyhigh.request_id"] = response.headers[RequestIDMiddleware.header]
            response.body = response.body.endingAfterWrite(span)
            return response
        } catch {
            finish(span, context: context, status: (error as? any HTTPResponseError)?.status.code ?? 500)
            span.recordError(error)
            span.end()
            throw error
        }
    }

    private func finish(_ span: any Span, context: Context, status: Int) {
        if let route = context.endpointPath {
            span.operationName = "\(span.operationName) \(route)"
            span.attributes["http.route"] = route
        }
        span.attributes["http.response.status_code"] = status
        if status >= 500 { span.setStatus(SpanStatus(code: .error)) }
    }
}

extension ResponseBody {
    /// This body, then `span` ended once it has been written (or failed to be).
    func endingAfterWrite(_ span: any Span) -> ResponseBody {
        ResponseBody(contentLength: contentLength) { writer in
            do {
                try await self.write(writer)
                span.end()
            } catch {
                span.end()
                throw error
            }
        }
    }
}
