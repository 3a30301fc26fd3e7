import Foundation

/// An amount of money in minor units (`5000` EUR is 50.00 EUR) with its ISO 4217 currency.
public struct Money: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public let amount: Int64
    public let currency: String

    public init(amount: Int64, currency: String) {
        self.amount = amount
        self.currency = currency
    }

    public static func zero(_ currency: String) -> Money { Money(amount: 0, currency: currency) }
    public var description: String { "\(amount) \(currency)" }
}

/// What a passenger's bag weighs, as the airport's Weight service measured it.
public protocol WeightService: Sendable {
    /// The measured weight of the bag tagged `tag`, in grams. Throws
    /// ``ServiceUnavailableError`` when the service cannot answer (down, slow, failing).
    func weigh(checkinID: UUID, tag: BagTag, declaredGrams: Int?) async throws -> Int
}

/// The state of a payment intent at the Payment service.
public enum PaymentStatus: String, Sendable, CheckedEnum {
    case pending = "PENDING"
    case succeeded = "SUCCEEDED"
    case failed = "FAILED"
}

/// A request to collect `amount`. The same `idempotencyKey` always names the same intent, so a
/// retried request never charges twice.
public struct PaymentIntentRequest: Sendable, Equatable {
    public let amount: Money
    public let idempotencyKey: String
    /// The check-in the money is for (the Payment service echoes it as its reference).
    public let checkinID: UUID
    public let description: String

    public init(amount: Money, idempotencyKey: String, checkinID: UUID, description: String) {
        self.amount = amount
        self.idempotencyKey = idempotencyKey
        self.checkinID = checkinID
        self.description = description
    }
}

/// A payment intent as the Payment service reports it.
public struct PaymentIntent: Sendable, Equatable {
    public let id: String
    public let amount: Money
    public let status: PaymentStatus
    public let failureReason: String?

    public init(id: String, amount: Money, status: PaymentStatus, failureReason: String? = nil) {
        self.id = id
        self.amount = amount
        self.status = status
        self.failureReason = failureReason
    }
}

/// The external Payment service. Outcomes arrive later through the signed webhook; `intent`
/// lets the reconciliation job ask about intents whose webhook never came.
public protocol PaymentService: Sendable {
    /// Creates (or, for a key seen before, returns) a payment intent. Throws
    /// ``ServiceUnavailableError`` when the service cannot answer.
    func createIntent(_ request: PaymentIntentRequest) async throws -> PaymentIntent
    /// The intent's current state; `nil` when the service does not know it.
    func intent(_ id: String) async throws -> PaymentIntent?
}

/// An external service (Weight, Payment) did not answer in time, answered with a failure, or
/// is cut off by its circuit breaker: the passenger retries later (503), nothing was changed.
public struct ServiceUnavailableError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Service: String, Sendable {
        case weight
        case payment
    }

    public let service: Service
    public let reason: String

    public init(_ service: Service, _ reason: String) {
        self.service = service
        self.reason = reason
    }

    public var description: String { "\(service.rawValue) service unavailable: \(reason)" }
}
