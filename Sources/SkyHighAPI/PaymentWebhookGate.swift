import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore
import Synchronization

/// The payment webhook's own door, before authentication and the abuse guard: the signature is
/// checked over the raw body before anything else. A signed webhook is the Payment service, a
/// client of its own with its own budget (``WebhookBudget``), never counted against a
/// passenger's rate limit or an address's; an unsigned or wrongly signed one is charged to its
/// address like any anonymous request, then refused with 401.
struct PaymentWebhookGate: RouterMiddleware {
    typealias Context = AppRequestContext
    static let path = "/payments/webhook"
    let environment: APIEnvironment

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, request.uri.path == Self.path else { return try await next(request, context) }
        var request = request
        if let length = request.headers[.contentLength].flatMap(Int.init), length > JSONBody.maximumBytes {
            throw Problem.bodyTooLarge
        }
        let body = Data(buffer: try await request.collectBody(upTo: JSONBody.maximumBytes))
        let now = environment.clock.now()
        let signature = request.headers[HTTPField.Name(WebhookSignature.headerName)!]
        guard !environment.webhookSecret.isEmpty,
              WebhookSignature.isValid(signature, body: body, secret: environment.webhookSecret, at: now)
        else {
            if let guardian = environment.abuseGuard {
                let address = guardian.addressClient(peer: context.remoteAddress?.ipAddress,
                                                     forwardedFor: request.headers[.xForwardedFor])
                if case .limited(let retryAfter) = guardian.check(address, seatMap: nil, at: now) {
                    throw AbuseGuardMiddleware.limited(guardian, retryAfter: retryAfter)
                }
            }
            throw Problem.unauthorized("invalid-signature", signature == nil
                ? "the \(WebhookSignature.headerName) header is missing"
                : "the \(WebhookSignature.headerName) header is not a valid signature of this body made in the last 5 minutes")
        }
        if case .limited(let retryAfter) = environment.webhookBudget.take(at: now) {
            throw Problem("rate-limited", .tooManyRequests, "Too many requests",
                          "slow down: at most \(environment.webhookBudget.ratePerSecond) payment webhooks per second",
                          headers: [.retryAfter: AbuseGuardMiddleware.seconds(retryAfter)])
        }
        var context = context
        context.paymentWebhookVerified = true
        return try await next(request, context)
    }
}

/// The Payment service's rate limit: one token bucket for every signed webhook this instance
/// receives. `0` turns it off.
public final class WebhookBudget: Sendable {
    public let ratePerSecond: Double
    let burst: Double
    private let bucket: Mutex<TokenBucket?> = Mutex(nil)

    public init(ratePerSecond: Double = 100) {
        self.ratePerSecond = ratePerSecond
        self.burst = max(1, 2 * ratePerSecond)
    }

    func take(at now: Date) -> TokenBucket.Decision {
        guard ratePerSecond > 0 else { return .allowed(remaining: Int.max) }
        return bucket.withLock { bucket in
            var current = bucket ?? TokenBucket(burst: burst, at: now)
            let decision = current.take(rate: ratePerSecond, burst: burst, at: now)
            bucket = current
            return decision
        }
    }
}
