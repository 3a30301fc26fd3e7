import Foundation
import Logging
import SkyHighCore

/// Asks the Payment service about an intent whose webhook has not arrived, and applies the
/// answer as the webhook would have. While the intent is still pending (the passenger has not
/// paid yet) and the check-in still waits for it, it asks again later.
struct PaymentReconciliation: Sendable {
    let store: any SkyHighStore
    let payments: any PaymentService
    let baggage: BaggagePolicy
    let clock: any WallClock
    let logger: Logger

    struct UnknownIntent: Error, CustomStringConvertible {
        let id: String
        var description: String { "the Payment service does not know intent \(id)" }
    }

    func reconcile(_ intentID: String) async throws {
        guard let (payment, checkinID) = try await store.payment(intentID), payment.status == .pending else { return }
        guard let intent = try await payments.intent(intentID) else { throw UnknownIntent(id: intentID) }
        switch intent.status {
        case .pending:
            guard let checkIn = try await store.checkIn(checkinID), checkIn.state == .waitingForPayment,
                  checkIn.payment?.intentID == intentID
            else { return }
            _ = try await store.enqueue(
                NewJob(ReconcilePaymentPayload(intentID: intentID), runAt: clock.now() + ReconcilePaymentPayload.interval),
                requestID: nil, at: clock.now())
        case .succeeded, .failed:
            // The event id is fixed per intent and outcome, so a webhook arriving as well is not
            // applied twice (the rules ignore an outcome already recorded).
            let event = PaymentEvent(eventID: "reconcile:\(intentID):\(intent.status.rawValue)", intentID: intentID,
                                     succeeded: intent.status == .succeeded,
                                     failureReason: intent.failureReason ?? (intent.status == .failed ? "payment failed" : nil))
            let outcome = try await store.recordPaymentEvent(event, policy: baggage, at: clock.now())
            logger.info("payment reconciled", metadata: ["intent": "\(intentID)", "status": "\(intent.status.rawValue)",
                                                         "outcome": "\(outcome)"])
        }
    }
}
