import Foundation
import Hummingbird
import SkyHighCore

/// The generated server's `APIProtocol`, implemented over the environment: one file per
/// capability (`...Handlers.swift`), each an extension of this type.
///
/// A generated handler receives only its typed input; what the middleware learnt about the
/// request (the signed-in booking, the request id, the client key) is in
/// ``AppRequestContext/current``.
struct APIHandlers: APIProtocol {
    let environment: APIEnvironment

    /// The context of the request being handled, or an internal error outside a request.
    var context: AppRequestContext {
        get throws {
            guard let context = AppRequestContext.current else {
                throw HTTPError(.internalServerError, message: "a generated handler ran outside a request")
            }
            return context
        }
    }
}

extension AppRequestContext {
    /// The request's context while its route runs: ``GeneratedContextMiddleware`` sets it, so
    /// that handlers called by the generated server, which see only their typed input, can ask
    /// who is calling.
    @TaskLocal static var current: AppRequestContext?
}

/// The innermost middleware: hands the context, as the other middleware left it, to the
/// generated handlers (``AppRequestContext/current``).
struct GeneratedContextMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await AppRequestContext.$current.withValue(context) {
            try await next(request, context)
        }
    }
}
extension APIHandlers {
    /// A body member the specification gives `format: uuid`, which the generated types keep as
    /// text: anything but a UUID is a malformed request (400), as a body of the wrong shape is.
    static func uuid(_ text: String, member: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw Problem.badRequest("\(member) must be a UUID, not \"\(text)\"") }
        return id
    }
}
