import Foundation
import Metrics
import SkyHighCore

/// The check-in steps that need the Weight or Payment service. Their calls happen before the
/// store's transaction and change nothing; the decided change is then written only if the
/// check-in is still at the revision it was decided on. So a slow or dead service leaves the
/// check-in exactly where it was, and the passenger gets a retryable 503.
public struct CheckInServices: Sendable {
    let store: any SkyHighStore
    let weights: any WeightService
    let payments: any PaymentService
    let policy: BaggagePolicy

    public init(store: any SkyHighStore, weights: any WeightService, payments: any PaymentService, policy: BaggagePolicy) {
        self.store = store
        self.weights = weights
        self.payments = payments
        self.policy = policy
    }

    /// Every bag's measured weight in grams, asked for all bags at once.
    func weigh(_ tags: [BagTag], declared: [Int?], for checkinID: UUID) async throws -> [Int] {
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for (index, tag) in tags.enumerated() {
                group.addTask {
                    let grams = try await Self.unavailable(.weight) {
                        try await weights.weigh(checkinID: checkinID, tag: tag, declaredGrams: declared[index])
                    }
                    guard (0...1_000_000).contains(grams) else {
                        throw ServiceUnavailableError(.weight, "answered an impossible weight of \(grams) g for \(tag)")
                    }
                    return (index, grams)
                }
            }
            var grams = [Int](repeating: 0, count: tags.count)
            for try await (index, weight) in group { grams[index] = weight }
            return grams
        }
    }

    /// Creates the payment intent the change needs, if any, then writes the change.
    func save(_ update: CheckInUpdate, decidedOn checkIn: CheckIn, at now: Date) async throws -> CheckIn {
        var update = update
        if let due = CheckInRules.paymentNeeded(update.checkIn, policy: policy) {
            // The key names the check-in, the revision the fee was decided on and the amount, so a
            // retried request asks for the same intent and never charges twice.
            let request = PaymentIntentRequest(
                amount: due, idempotencyKey: "checkin-\(checkIn.id.lowercased)-r\(checkIn.revision)-\(due.amount)",
                checkinID: checkIn.id, description: "Excess baggage, check-in \(checkIn.id.lowercased)")
            let intent = try await Self.unavailable(.payment) { try await payments.createIntent(request) }
            update = CheckInRules.attach(intent, to: update, policy: policy, now: now)
            do {
                return try await store.saveCheckIn(update, expectedRevision: checkIn.revision, at: now)
            } catch {
                try await flag(intent, of: checkIn, because: error, at: now)
                throw error
            }
        }
        return try await store.saveCheckIn(update, expectedRevision: checkIn.revision, at: now)
    }

    /// The change that created `intent` did not commit: nothing refers to the intent, so it is
    /// flagged for follow-up (a retry at the same revision asks for the same intent and resolves
    /// the flag). If even that cannot be written, the original error stands and the log says so.
    private func flag(_ intent: PaymentIntent, of checkIn: CheckIn, because error: any Error, at now: Date) async throws {
        PaymentMetrics.followUps.increment()
        do {
            try await store.flagPaymentIntent(PaymentFollowUp(
                intentID: intent.id, checkinID: checkIn.id, amount: intent.amount,
                reason: "the change that created it did not commit: \(error)".prefix(500).description, createdAt: now))
        } catch {
            PaymentMetrics.followUpsUnrecorded.increment()
        }
    }

    /// Any failure of an external call is the service being unavailable.
    private static func unavailable<T: Sendable>(_ service: ServiceUnavailableError.Service,
                                                 _ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch let error as ServiceUnavailableError {
            throw error
        } catch {
            throw ServiceUnavailableError(service, "\(error)")
        }
    }
}

/// Stands in where no Weight or Payment service was given: every call fails loudly as
/// unavailable, never with a made-up answer.
public struct NoExternalServices: WeightService, PaymentService {
    public init() {}

    public func weigh(checkinID: UUID, tag: BagTag, declaredGrams: Int?) async throws -> Int {
        throw ServiceUnavailableError(.weight, "no Weight service is configured")
    }

    public func createIntent(_ request: PaymentIntentRequest) async throws -> PaymentIntent {
        throw ServiceUnavailableError(.payment, "no Payment service is configured")
    }

    public func intent(_ id: String) async throws -> PaymentIntent? {
        throw ServiceUnavailableError(.payment, "no Payment service is configured")
    }
}

/// Intents flagged for follow-up because their change did not commit, and those that could not
/// even be flagged (the store was away too): both are for an operator to look at.
enum PaymentMetrics {
    static let followUps = Counter(label: "skyhigh_payment_followups_total")
    static let followUpsUnrecorded = Counter(label: "skyhigh_payment_followups_unrecorded_total")
}
