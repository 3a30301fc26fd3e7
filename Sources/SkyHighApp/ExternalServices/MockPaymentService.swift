import Foundation
import SkyHighAPI
import SkyHighCore
import Synchronization

/// The Payment service for the embedded default and for tests. Intents start PENDING and stay so
/// until someone settles them (`settle`, or `POST /payment-intents/{id}/succeed|fail` on the
/// mock-services app), which sends the signed webhook a real service would send. Create and read
/// calls wait the shared latency and fail at the shared failure rate; settling does not.
public final class MockPaymentService: PaymentService {
    /// Delivers one webhook: the raw JSON body and its `SkyHigh-Signature` header value; answers
    /// the HTTP status the receiver gave.
    public typealias Delivery = @Sendable (_ body: Data, _ signature: String) async throws -> Int

    /// What settling an intent did.
    public struct Settlement: Sendable, Equatable {
        public let eventID: String
        public let intent: PaymentIntent
        /// The webhook exactly as sent.
        public let body: Data
        /// The receiver's HTTP status; `nil` when the webhook could not be delivered.
        public let deliveryStatus: Int?
        public let deliveryError: String?
    }

    /// Settling an intent the service never created.
    public struct UnknownIntent: Error, Sendable, Equatable, CustomStringConvertible {
        public let id: String
        public init(id: String) { self.id = id }
        public var description: String { "no payment intent \(id)" }
    }

    public static let defaultFailureReason = "card declined"

    public let behaviour: MockBehaviour
    private let webhookSecret: String
    private let clock: any WallClock
    private let deliver: Delivery
    private let makeID: @Sendable () -> String
    private let ledger = Mutex(Ledger())

    private struct Ledger {
        var intents: [String: PaymentIntent] = [:]
        /// Idempotency key → the request it first came with and the intent it made.
        var byKey: [String: (request: PaymentIntentRequest, intentID: String)] = [:]
    }

    /// `makeID` makes the random part of `pi_...` and `evt_...` identifiers.
    public init(behaviour: MockBehaviour, webhookSecret: String, clock: any WallClock, deliver: @escaping Delivery,
                makeID: @escaping @Sendable () -> String = MockPaymentService.randomID) {
        self.behaviour = behaviour
        self.webhookSecret = webhookSecret
        self.clock = clock
        self.deliver = deliver
        self.makeID = makeID
    }

    public func createIntent(_ request: PaymentIntentRequest) async throws -> PaymentIntent {
        try await open(request).intent
    }

    /// Creates the intent, or returns the one the key made before (`created` false). The same key
    /// with another amount or check-in is refused: that is a caller's bug, not a retry.
    func open(_ request: PaymentIntentRequest) async throws -> (intent: PaymentIntent, created: Bool) {
        try await behaviour.perform(.payment)
        let newID = "pi_" + makeID()
        return try ledger.withLock { ledger in
            if let earlier = ledger.byKey[request.idempotencyKey], let intent = ledger.intents[earlier.intentID] {
                guard earlier.request.amount == request.amount, earlier.request.checkinID == request.checkinID else {
                    throw ServiceCallFailure.rejected(
                        "idempotency key \(request.idempotencyKey) was used for \(earlier.request.amount) "
                            + "on another request")
                }
                return (intent, false)
            }
            let intent = PaymentIntent(id: newID, amount: request.amount, status: .pending)
            ledger.intents[newID] = intent
            ledger.byKey[request.idempotencyKey] = (request, newID)
            return (intent, true)
        }
    }

    public func intent(_ id: String) async throws -> PaymentIntent? {
        try await behaviour.perform(.payment)
        return ledger.withLock { $0.intents[id] }
    }

    /// Intents created so far (one per idempotency key).
    public var intentCount: Int { ledger.withLock { $0.intents.count } }

    /// Decides the intent's outcome and sends the webhook
    /// `{"eventId", "paymentIntentId", "status": "succeeded"|"failed", "failureReason"?}`, signed
    /// with the webhook secret. Settling again (a retried payment, a test) sends a new event. A
    /// webhook that cannot be delivered is reported in the answer, not thrown: the outcome stands.
    public func settle(_ intentID: String, succeeded: Bool, reason: String? = nil) async throws -> Settlement {
        let intent = try ledger.withLock { ledger in
            guard let current = ledger.intents[intentID] else { throw UnknownIntent(id: intentID) }
            let settled = PaymentIntent(id: current.id, amount: current.amount, status: succeeded ? .succeeded : .failed,
                                        failureReason: succeeded ? nil : (reason ?? Self.defaultFailureReason))
            ledger.intents[intentID] = settled
            return settled
        }
        let event = ServiceWireFormat.WebhookEvent(
            eventId: "evt_" + makeID(), paymentIntentId: intent.id, status: succeeded ? "succeeded" : "failed",
            failureReason: intent.failureReason)
        let body = try ServiceWireFormat.encoder.encode(event)
        let signature = WebhookSignature.header(body: body, secret: webhookSecret, at: clock.now())
        do {
            let status = try await deliver(body, signature)
            return Settlement(eventID: event.eventId, intent: intent, body: body, deliveryStatus: status, deliveryError: nil)
        } catch {
            return Settlement(eventID: event.eventId, intent: intent, body: body, deliveryStatus: nil,
                              deliveryError: (error as NSError).domain == NSURLErrorDomain
                                ? error.localizedDescription : "\(error)")
        }
    }

    /// 24 random lower-case letters and digits.
    public static func randomID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<24).map { _ in alphabet.randomElement() ?? "0" })
    }
}
