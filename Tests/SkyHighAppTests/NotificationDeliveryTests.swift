import Foundation
import Hummingbird
import Logging
import SkyHighAPI
import SkyHighApp
import SkyHighCore
import Synchronization
import Testing

/// Notifications reach a real HTTP endpoint, signed; an endpoint that fails fails the delivery
/// (so the job is retried).
@Suite struct NotificationDeliveryTests {
    final class Received: Sendable {
        let bodies = Mutex<[(body: Data, signature: String?)]>([])
        let failNext = Mutex(0)
    }

    func withReceiver(_ body: @escaping @Sendable (URL, Received) async throws -> Void) async throws {
        let received = Received()
        let router = Router()
        router.post("/hooks") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            if received.failNext.withLock({ value in
                defer { value = max(0, value - 1) }
                return value > 0
            }) { return Response(status: .serviceUnavailable) }
            received.bodies.withLock { $0.append((Data(buffer: buffer), request.headers[.init("SkyHigh-Signature")!])) }
            return Response(status: .noContent)
        }
        let (port, portSet) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in portSet.yield(channel.localAddress?.port ?? 0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var ports = port.makeAsyncIterator()
            let bound = try #require(await ports.next())
            try await body(URL(string: "http://127.0.0.1:\(bound)/hooks")!, received)
            group.cancelAll()
        }
    }

    @Test func notificationsAreSignedWithTheNotificationSecretNeverTheWebhookSecret() async throws {
        let config = try Configuration.load(environment: ["SKYHIGH_NOTIFICATION_URL": "http://127.0.0.1:1/hooks"])
        #expect(config.notificationSecret != config.webhookSecret)
        try await withReceiver { url, received in
            let clock = SystemClock()
            let secrets = "notification-new-0123456789,notification-old-0123456789"
            let sender = WebhookNotificationSender(url: url, secret: secrets, clock: clock, logger: Logger(label: "test"))
            let message = OutboxMessage(id: UUID(), passengerID: UUID(), flightID: FlightID("SH100")!, kind: "SEAT_ASSIGNED",
                                        body: #"{"kind":"SEAT_ASSIGNED"}"#, createdAt: clock.now(), deliveredAt: nil)
            try await sender.send(message)
            let signature = received.bodies.withLock { $0 }.first?.signature
            let body = Data(message.body.utf8)
            #expect(WebhookSignature.isValid(signature, body: body, secret: "notification-new-0123456789", at: clock.now()))
            #expect(!WebhookSignature.isValid(signature, body: body, secret: "notification-old-0123456789", at: clock.now()),
                    "the first secret signs")
        }
    }

    @Test func aMessageIsPostedSignedAndFailuresAreReported() async throws {
        try await withReceiver { url, received in
            let clock = SystemClock()
            let sender = WebhookNotificationSender(url: url, secret: "webhook-test-secret", clock: clock, logger: Logger(label: "test"))
            let message = OutboxMessage(id: UUID(), passengerID: UUID(), flightID: FlightID("SH100")!, kind: "SEAT_ASSIGNED",
                                        body: #"{"kind":"SEAT_ASSIGNED","seatId":"12A"}"#, createdAt: clock.now(), deliveredAt: nil)
            received.failNext.withLock { $0 = 1 }
            await #expect(throws: (any Error).self) { try await sender.send(message) }
            try await sender.send(message)
            let delivered = received.bodies.withLock { $0 }
            #expect(delivered.count == 1)
            #expect(delivered.first?.body == Data(message.body.utf8))
            #expect(WebhookSignature.isValid(delivered.first?.signature, body: Data(message.body.utf8),
                                             secret: "webhook-test-secret", at: clock.now()))
            #expect(!WebhookSignature.isValid(delivered.first?.signature, body: Data(message.body.utf8),
                                              secret: "another-secret", at: clock.now()))
        }
    }

    @Test func signaturesRefuseTamperingAndStaleTimes() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let body = Data(#"{"eventId":"e1"}"#.utf8)
        let header = WebhookSignature.header(body: body, secret: "s3cret-s3cret-s3cret", at: now)
        #expect(WebhookSignature.isValid(header, body: body, secret: "s3cret-s3cret-s3cret", at: now + 300))
        #expect(!WebhookSignature.isValid(header, body: body, secret: "s3cret-s3cret-s3cret", at: now + 301))
        #expect(!WebhookSignature.isValid(header, body: Data(#"{"eventId":"e2"}"#.utf8), secret: "s3cret-s3cret-s3cret", at: now))
        #expect(!WebhookSignature.isValid(nil, body: body, secret: "s3cret-s3cret-s3cret", at: now))
        #expect(!WebhookSignature.isValid("t=abc,v1=00", body: body, secret: "s3cret-s3cret-s3cret", at: now))
    }
}
