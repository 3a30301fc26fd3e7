import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import SkyHighCore

/// Resolves `Authorization: Bearer <token>` to an identity. It does not decide who may do what:
/// each handler asks for the identity it needs. A token that matches nothing is a 401 at once,
/// so a client with a stale token learns it on any route.
///
/// The abuse guard comes first for any token memory cannot resolve: before a token is looked up
/// in the store, its address pays one request of its rate limit (given back if the token is
/// valid, whose booking is then charged as usual). An address that has used its budget gets 429
/// before any lookup, a blocked address gets its block, and a token found unknown is remembered
/// for a while (``UnknownTokenCache``), so a flood of bad tokens reaches the store at most at
/// the per-client rate per address.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let environment: APIEnvironment

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        let hash = Tokens.bearerHash(header)
        var context = context
        if let hash, let known = environment.knownIdentity(tokenHash: hash) {
            context.identity = known
            return try await next(request, context)
        }
        let now = environment.clock.now()
        let payer = try charge(request, context, at: now)
        guard let hash else {
            throw Problem.unauthorized("invalid-token", "the Authorization header must be Bearer <token>")
        }
        if environment.unknownTokens.contains(hash, at: now) {
            AuthMetrics.unknownFromMemory.increment()
            throw Self.unknownToken
        }
        AuthMetrics.lookups.increment()
        guard let booking = try await environment.store.sessionBooking(tokenHash: hash, at: now) else {
            environment.unknownTokens.remember(hash, at: now)
            throw Self.unknownToken
        }
        if let payer, let guardian = environment.abuseGuard { guardian.giveBack(payer, at: now) }
        environment.sessions.remember(hash, booking: booking, at: now)
        context.identity = .passenger(booking)
        return try await next(request, context)
    }

    static let unknownToken = Problem.unauthorized("invalid-token", "the token is unknown or has expired; sign in again")

    /// Charges the request's address for a token memory could not resolve; throws the 429 if the
    /// address may not have it. Returns the client charged, if any.
    private func charge(_ request: Request, _ context: Context, at now: Date) throws -> AbuseGuard.Client? {
        guard let guardian = environment.abuseGuard else { return nil }
        let address = guardian.addressClient(peer: context.remoteAddress?.ipAddress,
                                             forwardedFor: request.headers[.xForwardedFor])
        switch guardian.check(address, seatMap: nil, at: now) {
        case .allowed: return address
        case .limited(let retryAfter): throw AbuseGuardMiddleware.limited(guardian, retryAfter: retryAfter)
        case .blocked(let until):
            throw AbuseGuardMiddleware.blocked(address.key, until: until, now: now)
        case .detected(let incident, _):
            // Not reached: only seat-map reads trip the bot rule.
            throw AbuseGuardMiddleware.blocked(address.key, until: incident.blockedUntil ?? now, now: now)
        }
    }
}

/// How bearer tokens were resolved: lookups are what a flood of bad tokens would cost the store.
enum AuthMetrics {
    static let lookups = Counter(label: "skyhigh_auth_token_lookups_total")
    static let unknownFromMemory = Counter(label: "skyhigh_auth_unknown_tokens_remembered_total")
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
