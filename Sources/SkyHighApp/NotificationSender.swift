import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import SkyHighAPI
import SkyHighCore

/// Delivers outbox messages to passengers' channels.
public protocol NotificationSender: Sendable {
    func send(_ message: OutboxMessage) async throws
}

/// With no delivery endpoint configured, messages are logged (and marked delivered).
public struct LoggingNotificationSender: NotificationSender {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func send(_ message: OutboxMessage) async throws {
        logger.info("notification", metadata: ["kind": "\(message.kind)", "passenger": "\(message.passengerID.uuidString.lowercased())",
                                                "body": "\(message.body)"])
    }
}

/// POSTs each message as JSON to a webhook, signed like the payment webhooks
/// (`SkyHigh-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`). Any answer
/// other than 2xx, or no answer within the timeout, fails the delivery job, which is retried.
public struct WebhookNotificationSender: NotificationSender {
    let url: URL
    let secret: String
    let timeout: TimeInterval
    let clock: any WallClock
    let logger: Logger

    public init(url: URL, secret: String, timeout: TimeInterval = 5, clock: any WallClock, logger: Logger) {
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.clock = clock
        self.logger = logger
    }

    public func send(_ message: OutboxMessage) async throws {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = Data(message.body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(WebhookSignature.header(body: Data(message.body.utf8), secret: secret, at: clock.now()),
                         forHTTPHeaderField: WebhookSignature.headerName)
        request.setValue(message.id.uuidString.lowercased(), forHTTPHeaderField: "Idempotency-Key")
        let (_, response) = try await URLSession.shared.data(for: request)
        guard let status = (response as? HTTPURLResponse)?.statusCode, (200..<300).contains(status) else {
            throw DeliveryFailed(status: (response as? HTTPURLResponse)?.statusCode)
        }
        logger.info("notification delivered", metadata: ["kind": "\(message.kind)", "id": "\(message.id.uuidString.lowercased())"])
    }
}

struct DeliveryFailed: Error, CustomStringConvertible {
    let status: Int?
    var description: String { "notification endpoint answered \(status.map(String.init) ?? "nothing")" }
}
