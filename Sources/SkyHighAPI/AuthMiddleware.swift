import HTTPTypes
import Hummingbird
import SkyHighCore

/// Resolves `Authorization: Bearer <token>` to an identity. It does not decide who may do what:
/// each handler asks for the identity it needs. A token that matches nothing is a 401 at once,
/// so a client with a stale token learns it on any route.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let environment: APIEnvironment
    let sessions = SessionCache()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw Problem.unauthorized("invalid-token", "the Authorization header must be Bearer <token>")
        }
        let hash = Tokens.hash(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        var context = context
        if Tokens.equal(hash, environment.adminTokenHash) {
            context.identity = .admin
        } else if let booking = sessions.booking(hash, at: environment.clock.now()) {
            context.identity = .passenger(booking)
        } else if let booking = try await environment.store.sessionBooking(tokenHash: hash, at: environment.clock.now()) {
            sessions.remember(hash, booking: booking, at: environment.clock.now())
            context.identity = .passenger(booking)
        } else {
            throw Problem.unauthorized("invalid-token", "the token is unknown or has expired; sign in again")
        }
        return try await next(request, context)
    }
}
