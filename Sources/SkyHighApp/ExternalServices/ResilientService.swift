import Foundation
import SkyHighCore

/// A Weight or Payment service behind time limits, retries and a circuit breaker (see
/// ``ResilientCall``): `ResilientService<any WeightService>` is a `WeightService`,
/// `ResilientService<any PaymentService>` a `PaymentService`. Retrying `createIntent` is safe
/// because the request's idempotency key names one intent.
public struct ResilientService<Base: Sendable>: Sendable {
    public let base: Base
    public let call: ResilientCall

    public init(_ base: Base, call: ResilientCall) {
        self.base = base
        self.call = call
    }
}

extension ResilientService: WeightService where Base == any WeightService {
    public func weigh(checkinID: UUID, tag: BagTag, declaredGrams: Int?) async throws -> Int {
        try await call.run { try await base.weigh(checkinID: checkinID, tag: tag, declaredGrams: declaredGrams) }
    }
}

extension ResilientService: PaymentService where Base == any PaymentService {
    public func createIntent(_ request: PaymentIntentRequest) async throws -> PaymentIntent {
        try await call.run { try await base.createIntent(request) }
    }

    public func intent(_ id: String) async throws -> PaymentIntent? {
        try await call.run { try await base.intent(id) }
    }
}
