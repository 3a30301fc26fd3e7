import HTTPTypes
import Hummingbird
import SkyHighCore

/// Gives every request an id: the client's `X-Request-Id` when it is acceptable, else the id
/// Hummingbird already gave the request (random per process, then counted, so making it costs
/// nothing on the hot path). The id is in every log line of the request (`request_id`, or
/// Hummingbird's `hb.request.id`), in the `X-Request-Id` answer header, and in the jobs the
/// request enqueues (through ``RequestTrace``).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let header = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id: String
        if let chosen = Self.chosen(by: request.headers) {
            id = chosen
            context.logger[metadataKey: "request_id"] = "\(chosen)"
        } else {
            id = context.id
        }
        var response = try await RequestTrace.$id.withValue(id) { try await next(request, context) }
        response.headers[Self.header] = id
        return response
    }

    /// The client's own `X-Request-Id`, if it is acceptable.
    static func chosen(by headers: HTTPFields) -> String? {
        headers[header].flatMap { RequestTrace.isAcceptable($0) ? $0 : nil }
    }
}
