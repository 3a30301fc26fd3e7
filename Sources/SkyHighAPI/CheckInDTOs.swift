import Foundation
import SkyHighCore

// Check-in, baggage, payment and boarding-pass bodies, named as API-SPECIFICATION.yml names them.

struct CheckInRequest: Decodable {
    let flightId: FlightID
    let passengerId: PassengerID
}

struct BaggageRequest: Decodable {
    struct NewBag: Decodable {
        let tag: BagTag
        let declaredWeightKg: Double?
    }

    let bags: [NewBag]

    /// Declared weights in grams, checked: more than 0 and at most 100 kg.
    func declaredGrams() throws(DomainError) -> [Int?] {
        try bags.enumerated().map { (index, bag) throws(DomainError) -> Int? in
            guard let kg = bag.declaredWeightKg else { return nil }
            guard kg > 0, kg <= 100 else { throw .invalid("bags[\(index)].declaredWeightKg", "must be more than 0 and at most 100") }
            return Int((kg * 1000).rounded())
        }
    }
}

struct MoneyResponse: Encodable {
    let amount: Int64
    let currency: String

    init(_ money: Money) {
        amount = money.amount
        currency = money.currency
    }
}

struct BagResponse: Encodable {
    let tag: BagTag
    let weightKg: Double
    let declaredWeightKg: Double?
    /// Started kilograms over the allowance.
    let excessKg: Int64

    init(_ bag: Bag, policy: BaggagePolicy) {
        tag = bag.tag
        weightKg = Double(bag.weightGrams) / 1000
        declaredWeightKg = bag.declaredGrams.map { Double($0) / 1000 }
        excessKg = policy.excessKilograms(bag.weightGrams)
    }
}

struct PaymentResponse: Encodable {
    let paymentIntentId: String
    let amount: Int64
    let currency: String
    let status: PaymentStatus
    let failureReason: String?
    let refundDue: Bool
    let createdAt: Date
    let updatedAt: Date

    init(_ payment: Payment) {
        paymentIntentId = payment.intentID
        amount = payment.amount.amount
        currency = payment.amount.currency
        status = payment.status
        failureReason = payment.failureReason
        refundDue = payment.refundDue
        createdAt = payment.createdAt
        updatedAt = payment.updatedAt
    }
}

struct CheckInResponse: Encodable {
    let checkinId: String
    let flightId: FlightID
    let passengerId: String
    let state: CheckInState
    let seatId: SeatID?
    let bags: [BagResponse]
    /// The current payment intent, if any.
    let payment: PaymentResponse?
    /// Every payment intent, oldest first.
    let payments: [PaymentResponse]
    let excessFee: MoneyResponse
    let amountDue: MoneyResponse
    let failureReason: String?
    let boardingPass: String?
    let revision: Int64
    let createdAt: Date
    let updatedAt: Date
    let history: [EventsResponse.EventBody]?

    init(_ checkIn: CheckIn, policy: BaggagePolicy, history: [FlightEvent]? = nil) {
        checkinId = checkIn.id.lowercased
        flightId = checkIn.flightID
        passengerId = checkIn.passengerID.lowercased
        state = checkIn.state
        seatId = checkIn.seatID
        bags = checkIn.bags.map { BagResponse($0, policy: policy) }
        payment = checkIn.payment.map(PaymentResponse.init)
        payments = checkIn.payments.map(PaymentResponse.init)
        excessFee = MoneyResponse(policy.fee(for: checkIn.bags))
        amountDue = MoneyResponse(CheckInRules.amountDue(checkIn, policy: policy))
        failureReason = checkIn.failureReason
        boardingPass = checkIn.state == .completed ? "/checkin/\(checkIn.id.lowercased)/boarding-pass" : nil
        revision = checkIn.revision
        createdAt = checkIn.createdAt
        updatedAt = checkIn.updatedAt
        self.history = history.map { $0.map(EventsResponse.EventBody.init) }
    }
}

struct BoardingPassResponse: Encodable {
    let checkinId: String
    let bookingReference: BookingReference
    let passengerName: String
    let flightId: FlightID
    let flightNumber: String
    let origin: String
    let destination: String
    let departureTime: Date
    let seatId: SeatID
    let cabin: Cabin
    let sequenceNumber: Int
    let bcbp: String

    init(_ pass: BoardingPass) {
        checkinId = pass.checkinID.lowercased
        bookingReference = pass.bookingReference
        passengerName = pass.passengerName
        flightId = pass.flight.id
        flightNumber = pass.flight.flightNumber
        origin = pass.flight.origin
        destination = pass.flight.destination
        departureTime = pass.flight.departureTime
        seatId = pass.seat.id
        cabin = pass.seat.cabin
        sequenceNumber = pass.sequenceNumber
        bcbp = pass.bcbp
    }
}

struct PaymentWebhookRequest: Decodable {
    enum Status: String, Decodable {
        case succeeded
        case failed
    }

    let eventId: String
    let paymentIntentId: String
    let status: Status
    let failureReason: String?

    func event() throws(DomainError) -> PaymentEvent {
        for (field, value) in [("eventId", eventId), ("paymentIntentId", paymentIntentId)] {
            guard (1...200).contains(value.utf8.count), !value.contains(where: \.isNewline) else {
                throw .invalid(field, "must be 1 to 200 characters")
            }
        }
        return PaymentEvent(eventID: eventId, intentID: paymentIntentId, succeeded: status == .succeeded,
                            failureReason: failureReason.map { String($0.prefix(500)) })
    }
}

struct PaymentWebhookResponse: Encodable {
    /// `applied`, `duplicate` or `follow-up` (an intent flagged because its change did not commit).
    let outcome: String
    let checkinId: String?
    let state: CheckInState?

    init(_ outcome: PaymentEventOutcome) {
        switch outcome {
        case .applied(let checkIn):
            self.outcome = "applied"
            checkinId = checkIn.id.lowercased
            state = checkIn.state
        case .duplicate:
            self.outcome = "duplicate"
            checkinId = nil
            state = nil
        case .unknownIntent:
            self.outcome = "unknown-intent"
            checkinId = nil
            state = nil
        case .followUp(let followUp):
            self.outcome = "follow-up"
            checkinId = followUp.checkinID.lowercased
            state = nil
        }
    }
}
