import HTTPTypes
import Hummingbird
import SkyHighCore

/// Resolves `Authorization: Bearer <token>` to an identity. It does not decide who may do what:
/// each handler asks for the identity it needs. A token that matches nothing is a 401 at once,
/// so a client with a stale token learns it on any route.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let environment: APIEnvironment

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard let hash = Tokens.bearerHash(header) else {
            throw Problem.unauthorized("invalid-token", "the Authorization header must be Bearer <token>")
        }
        var context = context
        if let known = environment.knownIdentity(tokenHash: hash) {
            context.identity = known
        } else if let booking = try await environment.store.sessionBooking(tokenHash: hash, at: environment.clock.now()) {
            environment.sessions.remember(hash, booking: booking, at: environment.clock.now())
            context.identity = .passenger(booking)
        } else {
            throw Problem.unauthorized("invalid-token", "the token is unknown or has expired; sign in again")
        }
        return try await next(request, context)
    }
}

extension APIEnvironment {
    /// The identity a token names when memory alone can tell: the admin token, or a session
    /// seen in the last ``SessionCache/lifetime`` seconds. `nil` means ask the store.
    func knownIdentity(tokenHash hash: String) -> Identity? {
        if Tokens.equal(hash, adminTokenHash) { return .admin }
        return sessions.booking(hash, at: clock.now()).map(Identity.passenger)
    }
}

extension Tokens {
    /// The hash of the token in `Authorization: Bearer <token>`, or `nil` if the header has another form.
    static func bearerHash(_ header: String) -> String? {
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        return hash(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
    }
}
