import Hummingbird
import Logging

/// One log line per request (`access`): `method`, `route` (the template), `status`,
/// `duration_ms`, and through the request's logger its `request_id` (and, with traces on, its
/// `trace_id` and `span_id`). `SKYHIGH_ACCESS_LOG_EVERY`: 0 logs none, 1 every request, N one in
/// N; answers of 500 and above are always logged. Seat-map reads answered on the event loop pass
/// no middleware: they are counted in the request metrics only.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let log: AccessLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log.record(request, context, status: response.status.code, since: start)
            return response
        } catch {
            log.record(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
    }
}

/// Which requests the access log writes: one in `every`, and every answer of 500 and above.
public struct AccessLog: Sendable {
    let sample: OneInN

    public init(every: Int) {
        sample = OneInN(every: every)
    }

    func record(_ request: Request, _ context: AppRequestContext, status: Int, since start: ContinuousClock.Instant) {
        guard status >= 500 || sample.pick() else { return }
        let elapsed = (ContinuousClock.now - start).components
        let milliseconds = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        context.logger.info("access", metadata: [
            "method": "\(request.method.rawValue)", "route": "\(context.endpointPath ?? "unmatched")",
            "status": "\(status)", "duration_ms": "\((milliseconds * 1000).rounded() / 1000)",
        ])
    }
}
