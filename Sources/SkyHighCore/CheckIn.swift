import Foundation

/// A bag's tag: 4 to 10 letters and digits (the IATA licence plate is 10 digits), upper case.
public struct BagTag: Hashable, Sendable, CheckedText, Comparable {
    public static let expectation = "a bag tag is 4 to 10 letters and digits"
    public let rawValue: String

    /// Accepts `^[A-Za-z0-9]{4,10}$` and normalises to upper case.
    public init?(_ text: String) {
        guard (4...10).contains(text.utf8.count),
              text.utf8.allSatisfy(\.isASCIILetterOrDigit)
        else { return nil }
        rawValue = text.uppercased()
    }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where a passenger's check-in stands.
public enum CheckInState: String, Sendable, Codable, CaseIterable {
    case inProgress = "IN_PROGRESS"
    /// A bag is over the allowance and its fee is not paid yet.
    case waitingForPayment = "WAITING_FOR_PAYMENT"
    case completed = "COMPLETED"
    case cancelled = "CANCELLED"
}

/// A checked bag with the weight the Weight service measured.
public struct Bag: Sendable, Equatable {
    public let tag: BagTag
    public let declaredGrams: Int?
    public let weightGrams: Int
    public let addedAt: Date

    public init(tag: BagTag, declaredGrams: Int?, weightGrams: Int, addedAt: Date) {
        self.tag = tag
        self.declaredGrams = declaredGrams
        self.weightGrams = weightGrams
        self.addedAt = addedAt
    }
}

/// One payment intent of a check-in, as SkyHigh knows it.
public struct Payment: Sendable, Equatable {
    public let intentID: String
    public let amount: Money
    public var status: PaymentStatus
    public var failureReason: String?
    /// Money collected that is not owed (the check-in was cancelled, or a newer intent replaced
    /// this one): kept, and marked so the airline refunds it.
    public var refundDue: Bool
    public let createdAt: Date
    public var updatedAt: Date

    public init(intentID: String, amount: Money, status: PaymentStatus, failureReason: String? = nil,
                refundDue: Bool = false, createdAt: Date, updatedAt: Date) {
        self.intentID = intentID
        self.amount = amount
        self.status = status
        self.failureReason = failureReason
        self.refundDue = refundDue
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Money that counts towards what the check-in owes.
    public var counts: Bool { status == .succeeded && !refundDue }
}

/// One passenger's check-in on one flight, with its bags and payments.
public struct CheckIn: Sendable, Equatable {
    public let id: UUID
    public let flightID: FlightID
    public let passengerID: PassengerID
    public var state: CheckInState
    /// The passenger's CONFIRMED seat on the flight, read with the check-in (it is the hold's,
    /// not the check-in's).
    public var seatID: SeatID?
    public var bags: [Bag]
    /// Oldest first; the last is the current one.
    public var payments: [Payment]
    /// Why the check-in is waiting (the last payment failure), if it is.
    public var failureReason: String?
    /// Position in the flight's check-in order, given at the first completion (BCBP field 13).
    public var sequenceNumber: Int?
    /// Grows with every change; a write that expected another revision is refused.
    public var revision: Int64
    public let createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, flightID: FlightID, passengerID: PassengerID, state: CheckInState, seatID: SeatID? = nil,
                bags: [Bag] = [], payments: [Payment] = [], failureReason: String? = nil, sequenceNumber: Int? = nil,
                revision: Int64 = 0, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.flightID = flightID
        self.passengerID = passengerID
        self.state = state
        self.seatID = seatID
        self.bags = bags
        self.payments = payments
        self.failureReason = failureReason
        self.sequenceNumber = sequenceNumber
        self.revision = revision
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var payment: Payment? { payments.last }
}
