import Foundation
import SkyHighAPI

/// A signed JSON POST, with the `SkyHigh-Signature` header: how the mock Payment service delivers
/// its webhooks (as the real service does) and how passenger notifications are delivered.
public struct WebhookPoster: Sendable {
    public let url: URL
    let client: ServiceHTTPClient

    public init(url: URL, timeout: TimeInterval = 5) {
        self.url = url
        client = ServiceHTTPClient(baseURL: url, timeout: timeout)
    }

    /// POSTs `body` with `headers` besides the signature, and answers the receiver's HTTP status.
    public func post(body: Data, signature: String, headers: [String: String] = [:]) async throws -> Int {
        var headers = headers
        headers[WebhookSignature.headerName] = signature
        return try await client.exchange("POST", [], json: body, headers: headers).status
    }

    /// This poster as the mock Payment service's delivery.
    public var delivery: MockPaymentService.Delivery {
        { body, signature in try await post(body: body, signature: signature) }
    }
}
