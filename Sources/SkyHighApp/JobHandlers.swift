import Foundation
import Logging
import SkyHighAPI
import SkyHighCore

/// What each kind of job does. Every handler reads the current state and acts on it, so a job
/// that runs twice changes nothing the second time.
public enum JobHandlers {
    public static func all(store: any SkyHighStore, clock: any WallClock, notifier: any NotificationSender,
                           payments: any PaymentService, baggage: BaggagePolicy,
                           logger: Logger) -> [JobKind: JobWorker.Handler] {
        [
            .offerSeat: { job in
                let payload = try decode(OfferSeatPayload.self, job)
                let (flight, seat) = (try payload.flightID(), try payload.seatID())
                if let winner = try await store.offerSeat(flightID: flight, seatID: seat, at: clock.now()) {
                    DomainMetrics.waitlistAssigned()
                    logger.info("waitlist assigned seat", metadata: [
                        "flight": "\(flight)", "seat": "\(seat)", "waitlist": "\(winner.id.uuidString.lowercased())"])
                }
            },
            .closeWaitlist: { job in
                let flight = try decode(CloseWaitlistPayload.self, job).flightID()
                let expired = try await store.closeWaitlist(flightID: flight, at: clock.now())
                let cancelled = try await store.closeCheckIns(flightID: flight, at: clock.now())
                logger.info("check-in closed", metadata: [
                    "flight": "\(flight)", "waitlistExpired": "\(expired.count)", "checkinsCancelled": "\(cancelled.count)"])
            },
            .reconcilePayment: { job in
                let payload = try decode(ReconcilePaymentPayload.self, job)
                try await PaymentReconciliation(store: store, payments: payments, baggage: baggage, clock: clock,
                                                logger: logger).reconcile(payload.paymentIntentId)
            },
            .deliverNotification: { job in
                let id = try decode(DeliverNotificationPayload.self, job).id()
                // Delivered already (a run that died after sending), or purged: nothing to do.
                guard let message = try await store.outboxMessage(id), message.deliveredAt == nil else { return }
                try await notifier.send(message)
                try await store.markDelivered(id, at: clock.now())
            },
        ]
    }

    static func decode<T: Decodable>(_ type: T.Type, _ job: Job) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(job.payload.utf8))
    }
}
