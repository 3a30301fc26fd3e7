import Foundation
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
    let poster: WebhookPoster
    let secret: String
    let clock: any WallClock
    let logger: Logger

    public init(url: URL, secret: String, timeout: TimeInterval = 5, clock: any WallClock, logger: Logger) {
        self.poster = WebhookPoster(url: url, timeout: timeout)
        self.secret = secret
        self.clock = clock
        self.logger = logger
    }

    public func send(_ message: OutboxMessage) async throws {
        let body = Data(message.body.utf8)
        let status = try await poster.post(body: body, signature: WebhookSignature.header(body: body, secret: secret, at: clock.now()),
                                           headers: ["Idempotency-Key": message.id.uuidString.lowercased()])
        guard (200..<300).contains(status) else { throw DeliveryFailed(status: status) }
        logger.info("notification delivered", metadata: ["kind": "\(message.kind)", "id": "\(message.id.uuidString.lowercased())"])
    }
}

struct DeliveryFailed: Error, CustomStringConvertible {
    let status: Int
    var description: String { "notification endpoint answered \(status)" }
}
