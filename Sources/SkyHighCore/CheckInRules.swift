import Foundation

/// One step of a check-in's history.
public struct CheckInEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case started = "CHECKIN_STARTED"
        case bagAdded = "BAG_ADDED"
        case bagRemoved = "BAG_REMOVED"
        case paymentRequested = "PAYMENT_REQUESTED"
        case paymentSucceeded = "PAYMENT_SUCCEEDED"
        case paymentFailed = "PAYMENT_FAILED"
        /// Money arrived that is not owed: kept and marked for refund.
        case refundDue = "PAYMENT_REFUND_DUE"
        case completed = "CHECKIN_COMPLETED"
        /// A completed check-in lost its seat and is open again.
        case reopened = "CHECKIN_REOPENED"
        case cancelled = "CHECKIN_CANCELLED"
    }

    public let kind: Kind
    public let from: CheckInState?
    public let to: CheckInState
    public let actor: EventActor
    public let detail: String?

    public init(kind: Kind, from: CheckInState?, to: CheckInState, actor: EventActor, detail: String? = nil) {
        self.kind = kind
        self.from = from
        self.to = to
        self.actor = actor
        self.detail = detail
    }
}

/// A decided change of a check-in: its new value and the events that explain it. No events
/// means nothing changed.
public struct CheckInUpdate: Sendable, Equatable {
    public var checkIn: CheckIn
    public var events: [CheckInEvent]

    public init(checkIn: CheckIn, events: [CheckInEvent] = []) {
        self.checkIn = checkIn
        self.events = events
    }

    public var changesNothing: Bool { events.isEmpty }
}

/// The check-in rules, as pure functions over values. Calls to the Weight and Payment
/// services happen outside (before the store's transaction); these functions decide what their
/// answers mean.
public enum CheckInRules {
    /// Starts a check-in; refused once check-in has closed (`closesBefore` departure).
    public static func start(id: UUID, flight: Flight, passengerID: PassengerID, now: Date,
                             closesBefore: TimeInterval) throws(DomainError) -> CheckInUpdate {
        guard now < flight.departureTime - closesBefore else { throw .checkInClosed(flight.id) }
        let checkIn = CheckIn(id: id, flightID: flight.id, passengerID: passengerID, state: .inProgress,
                              createdAt: now, updatedAt: now)
        return CheckInUpdate(checkIn: checkIn, events: [
            CheckInEvent(kind: .started, from: nil, to: .inProgress, actor: .passenger(passengerID)),
        ])
    }

    /// What the passenger still owes for excess baggage after what they have paid.
    public static func amountDue(_ checkIn: CheckIn, policy: BaggagePolicy) -> Money {
        let fee = policy.fee(for: checkIn.bags)
        let paid = checkIn.payments.filter(\.counts).reduce(0) { $0 + $1.amount.amount }
        return Money(amount: max(0, fee.amount - paid), currency: fee.currency)
    }

    /// Checks new tags before anything is weighed: the check-in must be open to changes, tags
    /// unique, and the count within the policy.
    public static func checkNewBags(_ tags: [BagTag], for checkIn: CheckIn, policy: BaggagePolicy) throws(DomainError) {
        try requireOpen(checkIn)
        guard !tags.isEmpty else { throw .invalid("bags", "at least one bag is required") }
        guard Set(tags).count == tags.count else { throw .invalid("bags", "each bag needs its own tag") }
        if let taken = tags.first(where: { tag in checkIn.bags.contains { $0.tag == tag } }) { throw .bagExists(taken) }
        guard checkIn.bags.count + tags.count <= policy.maximumBags else {
            throw .invalid("bags", "a check-in carries at most \(policy.maximumBags) bags")
        }
    }

    /// Adds weighed bags. A bag over the allowance makes the check-in WAITING_FOR_PAYMENT;
    /// ``paymentNeeded(_:policy:)`` then says what intent to create.
    public static func addBags(_ bags: [Bag], to checkIn: CheckIn, policy: BaggagePolicy, now: Date) throws(DomainError) -> CheckInUpdate {
        try checkNewBags(bags.map(\.tag), for: checkIn, policy: policy)
        var changed = checkIn
        changed.bags += bags
        let events = bags.map { bag in
            CheckInEvent(kind: .bagAdded, from: checkIn.state, to: checkIn.state, actor: .passenger(checkIn.passengerID),
                         detail: "\(bag.tag) \(bag.weightGrams) g")
        }
        return settle(CheckInUpdate(checkIn: changed, events: events), from: checkIn.state, policy: policy, now: now)
    }

    public static func removeBag(_ tag: BagTag, from checkIn: CheckIn, policy: BaggagePolicy, now: Date) throws(DomainError) -> CheckInUpdate {
        try requireOpen(checkIn)
        guard checkIn.bags.contains(where: { $0.tag == tag }) else { throw .bagNotFound(tag) }
        var changed = checkIn
        changed.bags.removeAll { $0.tag == tag }
        let event = CheckInEvent(kind: .bagRemoved, from: checkIn.state, to: checkIn.state,
                                 actor: .passenger(checkIn.passengerID), detail: tag.rawValue)
        return settle(CheckInUpdate(checkIn: changed, events: [event]), from: checkIn.state, policy: policy, now: now)
    }

    /// The amount a new payment intent must ask for, if one is needed: something is due and the
    /// current intent is not a pending one for exactly that amount.
    public static func paymentNeeded(_ checkIn: CheckIn, policy: BaggagePolicy) -> Money? {
        let due = amountDue(checkIn, policy: policy)
        guard due.amount > 0 else { return nil }
        if let current = checkIn.payment, current.status == .pending, current.amount == due { return nil }
        return due
    }

    /// A new payment intent after a failed one (`POST /checkin/{id}/payment`).
    public static func retryPayment(_ checkIn: CheckIn, policy: BaggagePolicy) throws(DomainError) -> Money {
        try requireOpen(checkIn)
        if let current = checkIn.payment, current.status == .pending { throw .paymentPending(current.intentID) }
        guard let due = paymentNeeded(checkIn, policy: policy) else { throw .nothingToPay }
        return due
    }

    /// Records the intent the Payment service created for what is due.
    public static func attach(_ intent: PaymentIntent, to update: CheckInUpdate, policy: BaggagePolicy,
                              now: Date) -> CheckInUpdate {
        var result = update
        let from = update.checkIn.state
        result.checkIn.payments.append(Payment(intentID: intent.id, amount: intent.amount, status: .pending,
                                               createdAt: now, updatedAt: now))
        result.checkIn.failureReason = nil
        result.events.append(CheckInEvent(kind: .paymentRequested, from: from, to: from, actor: .system("payment"),
                                          detail: "\(intent.id) \(intent.amount)"))
        return settle(result, from: from, policy: policy, now: now)
    }

    /// Completes the check-in: it needs a CONFIRMED seat and nothing owed. Completing a
    /// completed check-in changes nothing.
    public static func complete(_ checkIn: CheckIn, policy: BaggagePolicy, now: Date) throws(DomainError) -> CheckInUpdate {
        if checkIn.state == .completed { return CheckInUpdate(checkIn: checkIn) }
        try requireOpen(checkIn)
        var missing: [String] = []
        if checkIn.seatID == nil { missing.append("seat") }
        if amountDue(checkIn, policy: policy).amount > 0 { missing.append("payment") }
        guard missing.isEmpty else { throw .checkInIncomplete(missing) }
        return completed(CheckInUpdate(checkIn: checkIn), from: checkIn.state, actor: .passenger(checkIn.passengerID), now: now)
    }

    /// The Payment service says an intent succeeded. Money that is not owed (a cancelled
    /// check-in, a replaced intent, nothing due any more) is kept and marked for refund. When
    /// nothing else is owed and the seat is confirmed, the check-in completes by itself.
    public static func paymentSucceeded(_ intentID: String, for checkIn: CheckIn, policy: BaggagePolicy,
                                        now: Date) -> CheckInUpdate {
        guard let index = checkIn.payments.firstIndex(where: { $0.intentID == intentID }),
              checkIn.payments[index].status != .succeeded
        else { return CheckInUpdate(checkIn: checkIn) }
        let owedBefore = amountDue(checkIn, policy: policy).amount
        var changed = checkIn
        changed.payments[index].status = .succeeded
        changed.payments[index].failureReason = nil
        changed.payments[index].updatedAt = now
        let isCurrent = index == checkIn.payments.count - 1
        let payment = changed.payments[index]
        var events = [CheckInEvent(kind: .paymentSucceeded, from: checkIn.state, to: checkIn.state,
                                   actor: .system("payment"), detail: "\(intentID) \(payment.amount)")]
        guard checkIn.state != .cancelled, isCurrent, owedBefore > 0 else {
            changed.payments[index].refundDue = true
            events.append(refundDue(payment, in: checkIn.state, actor: .system("payment")))
            return CheckInUpdate(checkIn: changed, events: events)
        }
        changed.failureReason = nil
        let update = settle(CheckInUpdate(checkIn: changed, events: events), from: checkIn.state, policy: policy, now: now)
        guard update.checkIn.state == .inProgress, update.checkIn.seatID != nil,
              amountDue(update.checkIn, policy: policy).amount == 0
        else { return update }
        return completed(update, from: .inProgress, actor: .system("payment"), now: now)
    }

    /// The Payment service says an intent failed: the check-in keeps waiting, with the reason.
    /// A failure reported after a success changes nothing.
    public static func paymentFailed(_ intentID: String, reason: String, for checkIn: CheckIn, now: Date) -> CheckInUpdate {
        guard let index = checkIn.payments.firstIndex(where: { $0.intentID == intentID }),
              checkIn.payments[index].status == .pending
        else { return CheckInUpdate(checkIn: checkIn) }
        var changed = checkIn
        changed.payments[index].status = .failed
        changed.payments[index].failureReason = reason
        changed.payments[index].updatedAt = now
        if index == checkIn.payments.count - 1, checkIn.state == .waitingForPayment { changed.failureReason = reason }
        changed.updatedAt = now
        return CheckInUpdate(checkIn: changed, events: [
            CheckInEvent(kind: .paymentFailed, from: checkIn.state, to: checkIn.state, actor: .system("payment"),
                         detail: "\(intentID): \(reason)"),
        ])
    }

    /// The passenger's confirmed seat was cancelled with no new one: a completed check-in opens
    /// again (its boarding pass named that seat), keeping its bags and payments.
    public static func seatReleased(_ checkIn: CheckIn, now: Date) -> CheckInUpdate {
        guard checkIn.state == .completed else { return CheckInUpdate(checkIn: checkIn) }
        var changed = checkIn
        changed.state = .inProgress
        changed.updatedAt = now
        return CheckInUpdate(checkIn: changed, events: [
            CheckInEvent(kind: .reopened, from: .completed, to: .inProgress, actor: .system("seat"),
                         detail: "the confirmed seat was cancelled"),
        ])
    }

    /// Cancels the check-in (by the passenger, or because check-in closed). Fees paid for its
    /// bags are marked for refund; a payment that succeeds later is too.
    public static func cancel(_ checkIn: CheckIn, actor: EventActor, reason: String, now: Date) throws(DomainError) -> CheckInUpdate {
        guard checkIn.state != .cancelled else { throw .checkInNotOpen(.cancelled) }
        var changed = checkIn
        changed.state = .cancelled
        changed.updatedAt = now
        var events = [CheckInEvent(kind: .cancelled, from: checkIn.state, to: .cancelled, actor: actor, detail: reason)]
        for index in changed.payments.indices where changed.payments[index].counts {
            changed.payments[index].refundDue = true
            changed.payments[index].updatedAt = now
            events.append(refundDue(changed.payments[index], in: .cancelled, actor: actor))
        }
        return CheckInUpdate(checkIn: changed, events: events)
    }

    // MARK: - Steps shared by the rules above

    private static func requireOpen(_ checkIn: CheckIn) throws(DomainError) {
        guard checkIn.state == .inProgress || checkIn.state == .waitingForPayment else {
            throw .checkInNotOpen(checkIn.state)
        }
    }

    /// Money collected that is not owed, kept and marked for refund.
    private static func refundDue(_ payment: Payment, in state: CheckInState, actor: EventActor) -> CheckInEvent {
        CheckInEvent(kind: .refundDue, from: state, to: state, actor: actor,
                     detail: "\(payment.intentID) \(payment.amount) is not owed")
    }

    /// Moves an open check-in between IN_PROGRESS and WAITING_FOR_PAYMENT by what is due.
    private static func settle(_ update: CheckInUpdate, from: CheckInState, policy: BaggagePolicy, now: Date) -> CheckInUpdate {
        var result = update
        result.checkIn.updatedAt = now
        let owes = amountDue(result.checkIn, policy: policy).amount > 0
        let target: CheckInState = owes ? .waitingForPayment : .inProgress
        guard result.checkIn.state != target else { return result }
        result.checkIn.state = target
        if !owes { result.checkIn.failureReason = nil }
        if let last = result.events.indices.last {
            let event = result.events[last]
            result.events[last] = CheckInEvent(kind: event.kind, from: event.from ?? from, to: target,
                                               actor: event.actor, detail: event.detail)
        }
        return result
    }

    private static func completed(_ update: CheckInUpdate, from: CheckInState, actor: EventActor, now: Date) -> CheckInUpdate {
        var result = update
        result.checkIn.state = .completed
        result.checkIn.failureReason = nil
        result.checkIn.updatedAt = now
        result.events.append(CheckInEvent(kind: .completed, from: from, to: .completed, actor: actor,
                                          detail: result.checkIn.seatID.map { "seat \($0)" }))
        return result
    }
}
