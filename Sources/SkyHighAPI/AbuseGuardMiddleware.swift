import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

/// Runs every request past the abuse guard: identifies the client (the signed-in booking, else
/// the address, with `X-Forwarded-For` believed only from trusted proxies), applies the rate
/// limit and the bot rule, and answers 429 with `Retry-After` when the client must wait.
/// (Requests whose token must be looked up meet the guard earlier, in ``AuthMiddleware``.)
struct AbuseGuardMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let seatMapRoute = "/flights/{flightId}/seatmap"
    /// Opening a live stream of a flight's seat changes reads its seat map as surely as a GET does.
    static let seatMapReads: Set<String> = [seatMapRoute, "/flights/{flightId}/seatmap/events"]
    static let operationalRoutes: Set<String> = ["/health/live", "/health/ready", "/openapi.yaml", "/metrics"]
    let guardian: AbuseGuard
    let environment: APIEnvironment

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Admins and health probes are operators, not clients to throttle.
        let route = RouteTable.pattern(context.endpointPath)
        // The signed payment webhook is counted apart, as the Payment service (``PaymentWebhookGate``).
        if context.identity == .admin || context.paymentWebhookVerified || Self.operationalRoutes.contains(route ?? "") {
            return try await next(request, context)
        }
        let client = guardian.client(identity: context.identity, peer: context.remoteAddress?.ipAddress,
                                     forwardedFor: request.headers[.xForwardedFor])
        let seatMap = request.method == .get && Self.seatMapReads.contains(route ?? "")
            ? context.parameters.get("flightId") : nil
        var context = context
        context.abuseClient = client
        let now = environment.clock.now()
        switch guardian.check(client, seatMap: seatMap, at: now) {
        case .allowed(let remaining):
            var response = try await next(request, context)
            response.headers.append(contentsOf: guardian.rateLimitHeaders(remaining: remaining))
            return response
        case .limited(let retryAfter):
            throw Self.limited(guardian, retryAfter: retryAfter)
        case .blocked(let until):
            throw Self.blocked(client.key, until: until, now: now)
        case .detected(let incident, let also):
            do {
                try await environment.store.recordIncident(incident, alsoBlocking: also)
            } catch {
                context.logger.error("could not record abuse incident", metadata: ["error": "\(error)"])
            }
            context.logger.warning("client blocked", metadata: ["client": "\(client.key)", "rule": "\(incident.rule)",
                                                                "also_blocked": "\(also)"])
            throw Self.blocked(client.key, until: incident.blockedUntil ?? now, now: now)
        }
    }

    static func limited(_ guardian: AbuseGuard, retryAfter: TimeInterval) -> Problem {
        var headers = guardian.rateLimitHeaders(remaining: 0)
        headers[.retryAfter] = seconds(retryAfter)
        headers[.rateLimitReset] = seconds(retryAfter)
        return Problem("rate-limited", .tooManyRequests, "Too many requests",
                       "slow down: at most \(guardian.policy.ratePerSecond) requests per second", headers: headers)
    }

    static func blocked(_ clientKey: String, until: Date, now: Date) -> Problem {
        Problem("client-blocked", .tooManyRequests, "Client blocked",
                "\(clientKey) is blocked until \(Timestamp.format(until)) for automated traffic",
                extensions: ["clientKey": clientKey],
                headers: [.retryAfter: seconds(until.timeIntervalSince(now))])
    }

    /// Whole seconds, rounded up, at least 1.
    static func seconds(_ interval: TimeInterval) -> String { "\(max(1, Int(interval.rounded(.up))))" }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let rateLimitLimit = Self("RateLimit-Limit")!
    static let rateLimitRemaining = Self("RateLimit-Remaining")!
    static let rateLimitReset = Self("RateLimit-Reset")!
}
