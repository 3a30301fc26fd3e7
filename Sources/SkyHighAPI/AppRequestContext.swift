import HTTPTypes
import Hummingbird
import NIOCore
import SkyHighCore

/// Who is calling, as the bearer token says.
public enum Identity: Sendable, Equatable {
    case admin
    case passenger(BookingReference)
}

/// Per-request values shared by the middleware and the handlers.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's address; `nil` in in-process tests, which have no socket.
    public let remoteAddress: SocketAddress?
    /// The connection, for streams that must close it themselves (a slow live-events client).
    let channel: any Channel
    /// Set by the authentication middleware when a valid bearer token was sent.
    public var identity: Identity?
    /// Who the abuse guard counted this request as (set by its middleware).
    public var abuseClient: AbuseGuard.Client?
    /// Set by ``PaymentWebhookGate`` once the payment webhook's signature checked out.
    var paymentWebhookVerified = false

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.channel = source.channel
    }

    public var maxUploadSize: Int { JSONBody.maximumBytes }

    /// The signed-in booking, or 401.
    func requireBooking() throws(DomainError) -> BookingReference {
        guard case .passenger(let reference) = identity else { throw .notSignedIn }
        return reference
    }

    /// The admin token, or 401 (no token) / 403 (a passenger's token).
    func requireAdmin() throws -> Void {
        switch identity {
        case .admin: return
        case .passenger: throw Problem.forbidden("admin-only", "this endpoint needs the admin token")
        case nil: throw Self.noAdminToken
        }
    }

    static let noAdminToken = Problem.unauthorized("not-signed-in", "send Authorization: Bearer <admin token>")

    /// The client the idempotency keys are scoped to.
    var clientKey: String {
        switch identity {
        case .admin: "admin"
        case .passenger(let reference): "booking:\(reference)"
        case nil: "address:\(remoteAddress?.ipAddress ?? "local")"
        }
    }
}
