import Dispatch
import HTTPTypes
import Hummingbird
import Metrics
import Synchronization

/// Request count and latency by route, method and status:
/// `skyhigh_http_requests_total` and the histogram `skyhigh_http_request_duration_seconds`.
/// It sits outside the problem mapping, so it sees every final status. Kept lean because the
/// seat map passes through it tens of thousands of times a second: one locked lookup of the
/// ready metric objects and two records, and the time is taken when the answer is handed back
/// (seat-map bodies are ready bytes, so that is when the work is done). Seat-map reads answered
/// on the event loop (``SeatMapFastPath``) record into the same cache.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let cache: RequestMetricsCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status.code, since: start)
            return response
        } catch {
            record(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since start: UInt64) {
        cache.record(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status, since: start)
    }
}

final class RequestMetricsCache: Sendable {
    struct Key: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    struct Metrics: Sendable {
        let requests: Counter
        let duration: Timer
    }

    private let byKey = Mutex<[Key: Metrics]>([:])

    /// Counts one request and the time since `start` (`DispatchTime` uptime nanoseconds).
    func record(route: String, method: String, status: Int, since start: UInt64) {
        let metrics = metrics(route: route, method: method, status: status)
        metrics.requests.increment()
        metrics.duration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds &- start))
    }

    func metrics(route: String, method: String, status: Int) -> Metrics {
        let key = Key(route: route, method: method, status: status)
        return byKey.withLock { cache in
            if let known = cache[key] { return known }
            let dimensions = [("route", route), ("method", method), ("status", String(status))]
            let made = Metrics(requests: Counter(label: "skyhigh_http_requests_total", dimensions: dimensions),
                               duration: Timer(label: "skyhigh_http_request_duration_seconds", dimensions: dimensions,
                                               preferredDisplayUnit: .seconds))
            cache[key] = made
            return made
        }
    }
}
