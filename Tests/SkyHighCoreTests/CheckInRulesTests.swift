import Foundation
import SkyHighCore
import Testing

@Suite struct CheckInRulesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let policy = BaggagePolicy()
    let passenger = PassengerID()
    var flight: Flight {
        Flight(id: FlightID("SH100")!, flightNumber: "SH100", origin: "LHR", destination: "JFK",
               departureTime: now + 86_400, aircraftType: "A320")
    }

    func checkIn(_ state: CheckInState = .inProgress, seat: String? = "12A", bags: [Bag] = [],
                 payments: [Payment] = []) -> CheckIn {
        CheckIn(id: UUID(), flightID: flight.id, passengerID: passenger, state: state, seatID: seat.flatMap(SeatID.init),
                bags: bags, payments: payments, createdAt: now, updatedAt: now)
    }

    func bag(_ tag: String, kg: Double) -> Bag {
        Bag(tag: BagTag(tag)!, declaredGrams: nil, weightGrams: Int(kg * 1000), addedAt: now)
    }

    func payment(_ id: String, _ amount: Int64, _ status: PaymentStatus = .pending) -> Payment {
        Payment(intentID: id, amount: Money(amount: amount, currency: "EUR"), status: status, createdAt: now, updatedAt: now)
    }

    func intent(_ id: String, _ amount: Int64) -> PaymentIntent {
        PaymentIntent(id: id, amount: Money(amount: amount, currency: "EUR"), status: .pending)
    }

    @Test func startingIsInProgressUntilCheckInCloses() throws {
        let started = try CheckInRules.start(id: UUID(), flight: flight, passengerID: passenger, now: now, closesBefore: 45 * 60)
        #expect(started.checkIn.state == .inProgress)
        #expect(started.events.map(\.kind) == [.started])
        #expect(throws: DomainError.checkInClosed(flight.id)) {
            try CheckInRules.start(id: UUID(), flight: flight, passengerID: passenger,
                                   now: flight.departureTime - 45 * 60, closesBefore: 45 * 60)
        }
    }

    @Test func theFeeCountsEveryStartedKilogramOverTheAllowancePerBag() {
        #expect(policy.fee(for: [bag("AAAA1", kg: 25)]).amount == 0)
        #expect(policy.fee(for: [bag("AAAA1", kg: 25.001)]).amount == 1_000)
        #expect(policy.fee(for: [bag("AAAA1", kg: 30), bag("AAAA2", kg: 20), bag("AAAA3", kg: 26.5)]).amount == 7_000)
    }

    @Test func aLightBagKeepsTheCheckInInProgress() throws {
        let update = try CheckInRules.addBags([bag("LIGHT1", kg: 20)], to: checkIn(), policy: policy, now: now)
        #expect(update.checkIn.state == .inProgress)
        #expect(update.events.map(\.kind) == [.bagAdded])
        #expect(CheckInRules.paymentNeeded(update.checkIn, policy: policy) == nil)
    }

    @Test func aHeavyBagWaitsForPaymentOfTheFee() throws {
        let update = try CheckInRules.addBags([bag("HEAVY1", kg: 30)], to: checkIn(), policy: policy, now: now)
        #expect(update.checkIn.state == .waitingForPayment)
        #expect(update.events.last?.from == .inProgress)
        #expect(update.events.last?.to == .waitingForPayment)
        #expect(CheckInRules.paymentNeeded(update.checkIn, policy: policy) == Money(amount: 5_000, currency: "EUR"))
        let attached = CheckInRules.attach(intent("pi_1", 5_000), to: update, policy: policy, now: now)
        #expect(attached.checkIn.payment?.status == .pending)
        #expect(attached.events.map(\.kind) == [.bagAdded, .paymentRequested])
        #expect(CheckInRules.paymentNeeded(attached.checkIn, policy: policy) == nil)
    }

    @Test func bagsAreCheckedBeforeTheyAreWeighed() {
        let withBag = checkIn(bags: [bag("TAKEN1", kg: 10)])
        #expect(throws: DomainError.bagExists(BagTag("TAKEN1")!)) {
            try CheckInRules.checkNewBags([BagTag("TAKEN1")!], for: withBag, policy: policy)
        }
        #expect(throws: DomainError.invalid("bags", "each bag needs its own tag")) {
            try CheckInRules.checkNewBags([BagTag("SAME1")!, BagTag("SAME1")!], for: withBag, policy: policy)
        }
        #expect(throws: DomainError.checkInNotOpen(.completed)) {
            try CheckInRules.checkNewBags([BagTag("NEW1")!], for: checkIn(.completed), policy: policy)
        }
        let tags = (1...10).map { BagTag("BAG\($0 + 100)")! }
        #expect(throws: DomainError.invalid("bags", "a check-in carries at most 10 bags")) {
            try CheckInRules.checkNewBags(tags, for: withBag, policy: policy)
        }
    }

    @Test func removingTheHeavyBagEndsTheWait() throws {
        let waiting = checkIn(.waitingForPayment, bags: [bag("HEAVY1", kg: 30)], payments: [payment("pi_1", 5_000)])
        let update = try CheckInRules.removeBag(BagTag("HEAVY1")!, from: waiting, policy: policy, now: now)
        #expect(update.checkIn.state == .inProgress)
        #expect(update.checkIn.bags.isEmpty)
        #expect(throws: DomainError.bagNotFound(BagTag("NOPE1")!)) {
            try CheckInRules.removeBag(BagTag("NOPE1")!, from: waiting, policy: policy, now: now)
        }
    }

    @Test func completingNeedsAConfirmedSeatAndNothingOwed() throws {
        #expect(throws: DomainError.checkInIncomplete(["seat"])) {
            try CheckInRules.complete(checkIn(seat: nil), policy: policy, now: now)
        }
        let owing = checkIn(.waitingForPayment, seat: nil, bags: [bag("HEAVY1", kg: 30)], payments: [payment("pi_1", 5_000)])
        #expect(throws: DomainError.checkInIncomplete(["seat", "payment"])) {
            try CheckInRules.complete(owing, policy: policy, now: now)
        }
        let done = try CheckInRules.complete(checkIn(), policy: policy, now: now)
        #expect(done.checkIn.state == .completed)
        #expect(done.events.map(\.kind) == [.completed])
        #expect(try CheckInRules.complete(done.checkIn, policy: policy, now: now).changesNothing)
        #expect(throws: DomainError.checkInNotOpen(.cancelled)) {
            try CheckInRules.complete(checkIn(.cancelled), policy: policy, now: now)
        }
    }

    @Test func aSuccessfulPaymentCompletesACheckInWithAConfirmedSeat() {
        let waiting = checkIn(.waitingForPayment, bags: [bag("HEAVY1", kg: 30)], payments: [payment("pi_1", 5_000)])
        let update = CheckInRules.paymentSucceeded("pi_1", for: waiting, policy: policy, now: now)
        #expect(update.checkIn.state == .completed)
        #expect(update.events.map(\.kind) == [.paymentSucceeded, .completed])
        #expect(update.checkIn.payment?.status == .succeeded)
        #expect(CheckInRules.amountDue(update.checkIn, policy: policy).amount == 0)
        #expect(CheckInRules.paymentSucceeded("pi_1", for: update.checkIn, policy: policy, now: now).changesNothing)
    }

    @Test func aSuccessfulPaymentWithoutASeatResumesTheCheckIn() {
        let waiting = checkIn(.waitingForPayment, seat: nil, bags: [bag("HEAVY1", kg: 30)], payments: [payment("pi_1", 5_000)])
        let update = CheckInRules.paymentSucceeded("pi_1", for: waiting, policy: policy, now: now)
        #expect(update.checkIn.state == .inProgress)
        #expect(update.events.map(\.kind) == [.paymentSucceeded])
    }

    @Test func aFailedPaymentKeepsWaitingWithTheReasonAndCanBeRetried() throws {
        let waiting = checkIn(.waitingForPayment, bags: [bag("HEAVY1", kg: 30)], payments: [payment("pi_1", 5_000)])
        #expect(throws: DomainError.paymentPending("pi_1")) { try CheckInRules.retryPayment(waiting, policy: policy) }
        let failed = CheckInRules.paymentFailed("pi_1", reason: "card declined", for: waiting, now: now)
        #expect(failed.checkIn.state == .waitingForPayment)
        #expect(failed.checkIn.failureReason == "card declined")
        #expect(failed.checkIn.payment?.status == .failed)
        #expect(try CheckInRules.retryPayment(failed.checkIn, policy: policy) == Money(amount: 5_000, currency: "EUR"))
        let retried = CheckInRules.attach(intent("pi_2", 5_000), to: CheckInUpdate(checkIn: failed.checkIn),
                                          policy: policy, now: now)
        #expect(retried.checkIn.failureReason == nil)
        #expect(retried.checkIn.payments.map(\.intentID) == ["pi_1", "pi_2"])
        #expect(throws: DomainError.nothingToPay) { try CheckInRules.retryPayment(checkIn(), policy: policy) }
    }

    @Test func aFailureAfterASuccessChangesNothing() {
        let paid = checkIn(bags: [bag("HEAVY1", kg: 30)], payments: [payment("pi_1", 5_000, .succeeded)])
        #expect(CheckInRules.paymentFailed("pi_1", reason: "late", for: paid, now: now).changesNothing)
    }

    @Test func moneyThatIsNotOwedIsKeptAndMarkedForRefund() throws {
        let waiting = checkIn(.waitingForPayment, bags: [bag("HEAVY1", kg: 30)], payments: [payment("pi_1", 5_000)])
        let cancelled = try CheckInRules.cancel(waiting, actor: .passenger(passenger), reason: "by the passenger", now: now)
        let late = CheckInRules.paymentSucceeded("pi_1", for: cancelled.checkIn, policy: policy, now: now)
        #expect(late.checkIn.state == .cancelled)
        #expect(late.checkIn.payment?.status == .succeeded)
        #expect(late.checkIn.payment?.refundDue == true)
        #expect(late.events.map(\.kind) == [.paymentSucceeded, .refundDue])

        let replaced = checkIn(.waitingForPayment, bags: [bag("HEAVY1", kg: 30), bag("HEAVY2", kg: 27)],
                               payments: [payment("pi_1", 5_000), payment("pi_2", 7_000)])
        let old = CheckInRules.paymentSucceeded("pi_1", for: replaced, policy: policy, now: now)
        #expect(old.checkIn.payments[0].refundDue)
        #expect(old.checkIn.state == .waitingForPayment)
    }

    @Test func cancellingMarksPaidFeesForRefund() throws {
        let paid = checkIn(.completed, bags: [bag("HEAVY1", kg: 30)], payments: [payment("pi_1", 5_000, .succeeded)])
        let cancelled = try CheckInRules.cancel(paid, actor: .system("checkin-close"), reason: "check-in closed", now: now)
        #expect(cancelled.checkIn.state == .cancelled)
        #expect(cancelled.checkIn.payment?.refundDue == true)
        #expect(cancelled.events.map(\.kind) == [.cancelled, .refundDue])
        #expect(throws: DomainError.checkInNotOpen(.cancelled)) {
            try CheckInRules.cancel(cancelled.checkIn, actor: .admin, reason: "again", now: now)
        }
    }

    @Test func aReleasedSeatReopensACompletedCheckIn() {
        let reopened = CheckInRules.seatReleased(checkIn(.completed, seat: nil), now: now)
        #expect(reopened.checkIn.state == .inProgress)
        #expect(reopened.events.map(\.kind) == [.reopened])
        #expect(CheckInRules.seatReleased(checkIn(.waitingForPayment), now: now).changesNothing)
    }
}
