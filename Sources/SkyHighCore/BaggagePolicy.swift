import Foundation

/// The baggage rule: each bag may weigh up to the allowance; every started kilogram over it
/// costs the excess rate.
public struct BaggagePolicy: Sendable, Equatable {
    /// Free weight per bag, in grams.
    public var allowanceGrams: Int
    /// Fee per started kilogram over the allowance, in minor units of `currency`.
    public var feePerKg: Int64
    public var currency: String
    /// Most bags one check-in may carry.
    public var maximumBags: Int

    public init(allowanceGrams: Int = 25_000, feePerKg: Int64 = 1_000, currency: String = "EUR", maximumBags: Int = 10) {
        self.allowanceGrams = allowanceGrams
        self.feePerKg = feePerKg
        self.currency = currency
        self.maximumBags = maximumBags
    }

    /// Started kilograms over the allowance: 25.001 kg against 25 kg is 1 kg.
    public func excessKilograms(_ weightGrams: Int) -> Int64 {
        let over = weightGrams - allowanceGrams
        return over <= 0 ? 0 : Int64((over + 999) / 1000)
    }

    /// The excess-baggage fee for all these bags.
    public func fee(for bags: [Bag]) -> Money {
        Money(amount: bags.reduce(0) { $0 + excessKilograms($1.weightGrams) * feePerKg }, currency: currency)
    }
}
