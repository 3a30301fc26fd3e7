import Foundation

/// The kinds of background job and their payloads. Each payload names what to act on, never a
/// snapshot of state: a handler reads the current state, so running it twice changes nothing.
/// The queue itself stores a kind as its raw value; a kind this version does not know (a newer
/// one's, during a rolling deploy) fails its job rather than completing it.
public enum JobKind: String, Sendable, CaseIterable {
    /// Offer a seat that became free to the flight's waitlist.
    case offerSeat = "waitlist.offer-seat"
    /// End the WAITING waitlist entries and the unfinished check-ins of a flight whose check-in
    /// has closed.
    case closeWaitlist = "waitlist.close"
    /// Ask the Payment service about an intent whose webhook has not arrived.
    case reconcilePayment = "payment.reconcile"
    /// Deliver one outbox message.
    case deliverNotification = "notification.deliver"
}

/// A payload that does not say what it is about: its job fails (and, retried in vain, dies where
/// an admin sees it) instead of completing as if there were nothing to do.
public struct UndecodablePayload: Error, CustomStringConvertible {
    public let kind: JobKind
    public let field: String
    public init(_ kind: JobKind, _ field: String) {
        self.kind = kind
        self.field = field
    }
    public var description: String { "the \(kind.rawValue) payload has no valid \(field)" }
}

/// A job's payload, which knows the kind of job it belongs to.
public protocol JobPayload: Codable, Sendable, Equatable {
    static var kind: JobKind { get }
}

extension NewJob {
    /// The job that carries `payload`, of the payload's kind.
    public init<Payload: JobPayload>(_ payload: Payload, runAt: Date? = nil) {
        self.init(kind: Payload.kind.rawValue, payload: JSONEncoder.payload(payload), runAt: runAt)
    }
}

/// A payload about one flight.
public protocol FlightPayload: JobPayload {
    var flightId: String { get }
}

extension FlightPayload {
    public func flightID() throws(UndecodablePayload) -> FlightID {
        guard let id = FlightID(flightId) else { throw UndecodablePayload(Self.kind, "flightId") }
        return id
    }
}

public struct OfferSeatPayload: FlightPayload {
    public static let kind = JobKind.offerSeat
    public let flightId: String
    public let seatId: String
    public init(flightID: FlightID, seatID: SeatID) {
        flightId = flightID.rawValue
        seatId = seatID.description
    }


    public func seatID() throws(UndecodablePayload) -> SeatID {
        guard let id = SeatID(seatId) else { throw UndecodablePayload(Self.kind, "seatId") }
        return id
    }
}

public struct CloseWaitlistPayload: FlightPayload {
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

    public func id() throws(UndecodablePayload) -> UUID {
        guard let id = UUID(uuidString: notificationId) else { throw UndecodablePayload(Self.kind, "notificationId") }
        return id
    }
}

extension JSONEncoder {
    /// Compact, key-sorted JSON for payloads stored in the database.
    public static func payload<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }
}
