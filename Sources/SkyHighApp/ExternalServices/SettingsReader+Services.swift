import Foundation
import SkyHighCore

extension SettingsReader {
    /// `SKYHIGH_WEIGHT_SERVICE_URL` ... `SKYHIGH_MOCK_WEBHOOK_URL`, see ``ServiceSettings``.
    mutating func serviceSettings() -> ServiceSettings {
        var settings = ServiceSettings()
        settings.weightURL = httpURL("SKYHIGH_WEIGHT_SERVICE_URL")
        settings.paymentURL = httpURL("SKYHIGH_PAYMENT_SERVICE_URL")
        settings.mock.latencyMs = int("SKYHIGH_MOCK_LATENCY_MS", in: MockBehaviour.latencyRange) ?? settings.mock.latencyMs
        settings.mock.failureRate = double("SKYHIGH_MOCK_FAILURE_RATE", in: MockBehaviour.failureRateRange)
            ?? settings.mock.failureRate
        settings.timeoutMs = int("SKYHIGH_SERVICE_TIMEOUT_MS", in: 10...120_000) ?? settings.timeoutMs
        settings.retries = int("SKYHIGH_SERVICE_RETRIES", in: 0...10) ?? settings.retries
        settings.mockHost = string("SKYHIGH_MOCK_HOST") ?? settings.mockHost
        settings.mockPort = int("SKYHIGH_MOCK_PORT", in: 0...65535) ?? settings.mockPort
        settings.mockWebhookURL = httpURL("SKYHIGH_MOCK_WEBHOOK_URL") ?? settings.mockWebhookURL
        return settings
    }

    /// `SKYHIGH_BAGGAGE_ALLOWANCE_KG` (kilograms per bag), `SKYHIGH_EXCESS_FEE_PER_KG` (in major
    /// units of the currency, `10` or `12.50`), `SKYHIGH_CURRENCY` (ISO 4217 code).
    mutating func baggagePolicy() -> BaggagePolicy {
        var policy = BaggagePolicy()
        if let kilograms = double("SKYHIGH_BAGGAGE_ALLOWANCE_KG", in: 0...1_000) {
            policy.allowanceGrams = Int((kilograms * 1000).rounded())
        }
        if let currency = string("SKYHIGH_CURRENCY") {
            if currency.utf8.count == 3, currency.utf8.allSatisfy({ (0x41...0x5A).contains($0) }) {
                policy.currency = currency
            } else {
                problems.append("SKYHIGH_CURRENCY=\(currency) must be an ISO 4217 code: three upper-case letters, like EUR")
            }
        }
        let digits = Self.minorUnitDigits(policy.currency)
        let scale = (0..<digits).reduce(1.0) { value, _ in value * 10 }
        policy.feePerKg = Int64((10 * scale).rounded())
        if let fee = double("SKYHIGH_EXCESS_FEE_PER_KG", in: 0...100_000) {
            let minor = (fee * scale).rounded()
            if abs(fee * scale - minor) > 1e-6 {
                problems.append("SKYHIGH_EXCESS_FEE_PER_KG=\(fee) has more decimals than \(policy.currency)'s \(digits)")
            } else {
                policy.feePerKg = Int64(minor)
            }
        }
        return policy
    }

    /// Decimals of a currency's minor unit (ISO 4217): two unless listed.
    static func minorUnitDigits(_ currency: String) -> Int {
        switch currency {
        case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF":
            0
        case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
            3
        default:
            2
        }
    }
}
