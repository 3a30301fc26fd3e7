import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SkyHighAPI

/// A signed JSON POST, with the `SkyHigh-Signature` header: how the mock Payment service delivers
/// its webhooks (as the real service does) and how passenger notifications are delivered.
public struct WebhookPoster: Sendable {
    public let url: URL
    let timeout: TimeInterval
    let session: URLSession

    public init(url: URL, timeout: TimeInterval = 5, session: URLSession = .shared) {
        self.url = url
        self.timeout = timeout
        self.session = session
    }

    /// POSTs `body` with `headers` besides the signature, and answers the receiver's HTTP status.
    public func post(body: Data, signature: String, headers: [String: String] = [:]) async throws -> Int {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(signature, forHTTPHeaderField: WebhookSignature.headerName)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (_, response) = try await session.data(for: request)
        guard let status = (response as? HTTPURLResponse)?.statusCode else {
            throw ServiceCallFailure.transient("the webhook receiver answered something that is not HTTP")
        }
        return status
    }

    /// This poster as the mock Payment service's delivery.
    public var delivery: MockPaymentService.Delivery {
        { body, signature in try await post(body: body, signature: signature) }
    }
}
