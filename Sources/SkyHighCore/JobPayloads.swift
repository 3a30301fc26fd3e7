import Foundation

/// The kinds of background job and their payloads. Each payload names what to act on, never a
/// snapshot of state: a handler reads the current state, so running it twice changes nothing.
public enum JobKind {
    /// Offer a seat that became free to the flight's waitlist.
    public static let offerSeat = "waitlist.offer-seat"
    /// End the WAITING waitlist entries and the unfinished check-ins of a flight whose check-in
    /// has closed.
    public static let closeWaitlist = "waitlist.close"
    /// Ask the Payment service about an intent whose webhook has not arrived.
    public static let reconcilePayment = "payment.reconcile"
    /// Deliver one outbox message.
    public static let deliverNotification = "notification.deliver"
}

/// A job's payload, which knows the kind of job it belongs to.
public protocol JobPayload: Codable, Sendable, Equatable {
    static var kind: String { get }
}

extension NewJob {
    /// The job that carries `payload`, of the payload's kind.
    public init<Payload: JobPayload>(_ payload: Payload, runAt: Date? = nil) {
        self.init(kind: Payload.kind, payload: JSONEncoder.payload(payload), runAt: runAt)
    }
}

public struct OfferSeatPayload: JobPayload {
    public static let kind = JobKind.offerSeat
    public let flightId: String
    public let seatId: String
    public init(flightID: FlightID, seatID: SeatID) {
        flightId = flightID.rawValue
        seatId = seatID.description
    }
}

public struct CloseWaitlistPayload: JobPayload {
    public static let kind = JobKind.closeWaitlist
    public let flightId: String
    public init(flightID: FlightID) { flightId = flightID.rawValue }
}

public struct ReconcilePaymentPayload: JobPayload {
    public static let kind = JobKind.reconcilePayment
    public let paymentIntentId: String
    public init(intentID: String) { paymentIntentId = intentID }

    /// How long after an intent is created (and between later checks) the job asks about it.
    public static let interval: TimeInterval = 300
}

public struct DeliverNotificationPayload: JobPayload {
    public static let kind = JobKind.deliverNotification
    public let notificationId: String
    public init(id: UUID) { notificationId = id.uuidString.lowercased() }
}

extension JSONEncoder {
    /// Compact, key-sorted JSON for payloads stored in the database.
    public static func payload<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }
}
