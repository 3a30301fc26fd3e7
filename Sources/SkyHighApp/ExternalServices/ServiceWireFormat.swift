import Foundation
import SkyHighCore

/// The JSON the Weight and Payment services speak, written once for the HTTP clients and the
/// mock services that answer them, so the two cannot drift apart.
enum ServiceWireFormat {
    /// `POST /weights`
    struct WeighRequest: Codable, Sendable {
        let checkinId: String
        let tag: String
        let declaredWeightKg: Double?
    }

    /// The answer to `POST /weights`.
    struct Weighing: Codable, Sendable {
        let tag: String
        let weightKg: Double
    }

    /// `POST /payment-intents` (with an `Idempotency-Key` header).
    struct CreateIntent: Codable, Sendable {
        let amount: Int64
        let currency: String
        let reference: String
        let description: String
    }

    /// A payment intent, as `POST /payment-intents` and `GET /payment-intents/{id}` answer it.
    struct Intent: Codable, Sendable {
        let paymentIntentId: String
        let amount: Int64
        let currency: String
        let status: PaymentStatus
        let failureReason: String?

        init(_ intent: PaymentIntent) {
            paymentIntentId = intent.id
            amount = intent.amount.amount
            currency = intent.amount.currency
            status = intent.status
            failureReason = intent.failureReason
        }

        var paymentIntent: PaymentIntent {
            PaymentIntent(id: paymentIntentId, amount: Money(amount: amount, currency: currency), status: status,
                          failureReason: failureReason)
        }
    }

    /// The webhook the Payment service POSTs to `/payments/webhook` when an intent settles.
    struct WebhookEvent: Codable, Sendable, Equatable {
        let eventId: String
        let paymentIntentId: String
        /// `succeeded` or `failed`.
        let status: String
        let failureReason: String?
    }

    static func grams(kilograms: Double) -> Int { Int((kilograms * 1000).rounded()) }
    static func kilograms(grams: Int) -> Double { Double(grams) / 1000 }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder = JSONDecoder()
}
