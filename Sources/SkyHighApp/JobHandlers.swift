import Foundation
import Logging
import SkyHighAPI
import SkyHighCore

/// What each kind of job does. Every handler reads the current state and acts on it, so a job
/// that runs twice changes nothing the second time.
public enum JobHandlers {
    public static func all(store: any SkyHighStore, clock: any WallClock, notifier: any NotificationSender,
                           payments: any PaymentService, baggage: BaggagePolicy,
                           logger: Logger) -> [String: JobWorker.Handler] {
        [
            JobKind.offerSeat: { job in
                let payload = try decode(OfferSeatPayload.self, job)
                guard let flight = FlightID(payload.flightId), let seat = SeatID(payload.seatId) else { return }
                if let winner = try await store.offerSeat(flightID: flight, seatID: seat, at: clock.now()) {
                    DomainMetrics.waitlistAssigned()
                    logger.info("waitlist assigned seat", metadata: [
                        "flight": "\(flight)", "seat": "\(seat)", "waitlist": "\(winner.id.uuidString.lowercased())"])
                }
            },
            JobKind.closeWaitlist: { job in
                let payload = try decode(CloseWaitlistPayload.self, job)
                guard let flight = FlightID(payload.flightId) else { return }
                let expired = try await store.closeWaitlist(flightID: flight, at: clock.now())
                let cancelled = try await store.closeCheckIns(flightID: flight, at: clock.now())
                logger.info("check-in closed", metadata: [
                    "flight": "\(flight)", "waitlistExpired": "\(expired.count)", "checkinsCancelled": "\(cancelled.count)"])
            },
            JobKind.reconcilePayment: { job in
                let payload = try decode(ReconcilePaymentPayload.self, job)
                try await PaymentReconciliation(store: store, payments: payments, baggage: baggage, clock: clock,
                                                logger: logger).reconcile(payload.paymentIntentId)
            },
            JobKind.deliverNotification: { job in
                let payload = try decode(DeliverNotificationPayload.self, job)
                guard let id = UUID(uuidString: payload.notificationId),
                      let message = try await store.outboxMessage(id), message.deliveredAt == nil
                else { return }
                try await notifier.send(message)
                try await store.markDelivered(id, at: clock.now())
            },
        ]
    }

    static func decode<T: Decodable>(_ type: T.Type, _ job: Job) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(job.payload.utf8))
    }
}
