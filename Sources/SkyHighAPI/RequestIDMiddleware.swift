import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

/// Gives every request an id: the client's `X-Request-Id` when it is acceptable, else a new
/// UUID. The id is in every log line of the request, in the `X-Request-Id` answer header, and in
/// the jobs the request enqueues (through ``RequestTrace``).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let header = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = request.headers[Self.header].flatMap { RequestTrace.isAcceptable($0) ? $0 : nil }
            ?? UUID().uuidString.lowercased()
        var context = context
        context.logger[metadataKey: "request_id"] = "\(id)"
        var response = try await RequestTrace.$id.withValue(id) { try await next(request, context) }
        response.headers[Self.header] = id
        return response
    }
}
