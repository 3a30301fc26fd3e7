import Foundation
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Testing

/// Check-ins, bags and payments on every store.
@Suite struct CheckInConformanceTests {
    static let flight = FlightID("SH100")!
    static let policy = BaggagePolicy()

    struct Setup {
        let store: any SkyHighStore
        let fixtures: Fixtures
        let passengers: [PassengerID]
        var now: Date { fixtures.clock.now() }

        func confirmSeat(_ seat: String, for passenger: PassengerID) async throws -> Hold {
            let hold = try await store.placeHold(flightID: flight, seatID: SeatID(seat)!, passengerID: passenger, at: now, duration: 120)
            return try await store.confirmHold(hold.id, by: passenger, at: now)
        }

        /// Adds a bag of `kg` and, when a fee is due, an intent named `intent` for it.
        func addBag(_ tag: String, kg: Double, to checkIn: CheckIn, intent: String = "pi_1") async throws -> CheckIn {
            let bag = Bag(tag: BagTag(tag)!, declaredGrams: nil, weightGrams: Int(kg * 1000), addedAt: now)
            var update = try CheckInRules.addBags([bag], to: checkIn, policy: policy, now: now)
            if let due = CheckInRules.paymentNeeded(update.checkIn, policy: policy) {
                update = CheckInRules.attach(PaymentIntent(id: intent, amount: due, status: .pending), to: update,
                                             policy: policy, now: now)
            }
            return try await store.saveCheckIn(update, expectedRevision: checkIn.revision, at: now)
        }
    }

    func withSetup(_ kind: StoreKind, passengers count: Int = 2, _ body: @Sendable (Setup) async throws -> Void) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            try await body(Setup(store: store, fixtures: fixtures, passengers: try await fixtures.passengers(count)))
        }
    }

    @Test(arguments: StoreKind.available)
    func startingTwiceReturnsTheSameCheckInAndRecordsIt(kind: StoreKind) async throws {
        try await withSetup(kind) { setup in
            let first = try await setup.store.startCheckIn(flightID: Self.flight, passengerID: setup.passengers[0], at: setup.now)
            let again = try await setup.store.startCheckIn(flightID: Self.flight, passengerID: setup.passengers[0], at: setup.now)
            #expect(first.created && !again.created)
            #expect(again.checkIn.id == first.checkIn.id)
            #expect(first.checkIn.state == .inProgress)
            #expect(try await setup.store.checkIn(first.checkIn.id) == first.checkIn)
            let history = try await setup.store.checkInHistory(first.checkIn.id)
            #expect(history.map(\.kind.rawValue) == ["CHECKIN_STARTED"])
            #expect(history.first?.checkinID == first.checkIn.id)
        }
    }

    @Test(arguments: StoreKind.available)
    func concurrentStartsMakeOneCheckIn(kind: StoreKind) async throws {
        try await withSetup(kind) { setup in
            let results = try await withThrowingTaskGroup(of: (CheckIn, Bool).self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let started = try await setup.store.startCheckIn(flightID: Self.flight, passengerID: setup.passengers[0],
                                                                         at: setup.now)
                        return (started.checkIn, started.created)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.0.id)).count == 1)
            #expect(results.filter(\.1).count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func checkInClosesBeforeDeparture(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight(departsIn: 30 * 60)
            let passenger = try await fixtures.passengers(1)[0]
            await #expect(throws: DomainError.checkInClosed(Self.flight)) {
                try await store.startCheckIn(flightID: Self.flight, passengerID: passenger, at: fixtures.clock.now())
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func bagsAndPaymentsAreSavedAtTheExpectedRevisionOnly(kind: StoreKind) async throws {
        try await withSetup(kind) { setup in
            let started = try await setup.store.startCheckIn(flightID: Self.flight, passengerID: setup.passengers[0], at: setup.now)
            let waiting = try await setup.addBag("HEAVY1", kg: 30, to: started.checkIn)
            #expect(waiting.state == .waitingForPayment)
            #expect(waiting.revision == started.checkIn.revision + 1)
            let read = try #require(try await setup.store.checkIn(waiting.id))
            #expect(read == waiting)
            #expect(read.bags.map(\.weightGrams) == [30_000])
            #expect(read.payment?.amount == Money(amount: 5_000, currency: "EUR"))
            #expect(read.payment?.status == .pending)
            // A change decided on the old revision is refused and writes nothing.
            await #expect(throws: DomainError.concurrentChange) {
                _ = try await setup.addBag("LIGHT1", kg: 10, to: started.checkIn)
            }
            #expect(try await setup.store.checkIn(waiting.id)?.bags.count == 1)
            let overview = try await setup.store.jobOverview(deadLimit: 5)
            #expect(overview.counts[.queued, default: 0] >= 1, "a reconciliation job waits for the intent")
            let found = try #require(try await setup.store.payment("pi_1"))
            #expect(found.checkinID == waiting.id)
            let removed = try await setup.store.changeCheckIn(waiting.id, at: setup.now) { checkIn in
                try CheckInRules.removeBag(BagTag("HEAVY1")!, from: checkIn, policy: Self.policy, now: setup.now)
            }
            #expect(removed.state == .inProgress)
            #expect(try await setup.store.checkIn(waiting.id)?.bags.isEmpty == true)
            #expect(try await setup.store.checkInHistory(waiting.id).map(\.kind.rawValue)
                == ["CHECKIN_STARTED", "BAG_ADDED", "PAYMENT_REQUESTED", "BAG_REMOVED"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aPaymentEventAppliesOnceAndCompletesTheCheckIn(kind: StoreKind) async throws {
        try await withSetup(kind) { setup in
            let passenger = setup.passengers[0]
            _ = try await setup.confirmSeat("12A", for: passenger)
            let started = try await setup.store.startCheckIn(flightID: Self.flight, passengerID: passenger, at: setup.now)
            let waiting = try await setup.addBag("HEAVY1", kg: 30, to: started.checkIn)
            #expect(waiting.seatID == SeatID("12A"))
            let failed = PaymentEvent(eventID: "evt_1", intentID: "pi_1", succeeded: false, failureReason: "card declined")
            guard case .applied(let stillWaiting) = try await setup.store.recordPaymentEvent(failed, policy: Self.policy, at: setup.now)
            else { Issue.record("not applied"); return }
            #expect(stillWaiting.state == .waitingForPayment)
            #expect(stillWaiting.failureReason == "card declined")
            let success = PaymentEvent(eventID: "evt_2", intentID: "pi_1", succeeded: true)
            let outcomes = try await withThrowingTaskGroup(of: PaymentEventOutcome.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await setup.store.recordPaymentEvent(success, policy: Self.policy, at: setup.now) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .duplicate }.count == 9)
            let completed = try #require(try await setup.store.checkIn(waiting.id))
            #expect(completed.state == .completed)
            #expect(completed.sequenceNumber == 1)
            #expect(completed.payment?.status == .succeeded)
            #expect(try await setup.store.recordPaymentEvent(PaymentEvent(eventID: "evt_3", intentID: "pi_nobody", succeeded: true),
                                                             policy: Self.policy, at: setup.now) == .unknownIntent)
            #expect(try await setup.store.recordPaymentEvent(PaymentEvent(eventID: "evt_3", intentID: "pi_nobody", succeeded: true),
                                                             policy: Self.policy, at: setup.now) == .unknownIntent,
                    "an unknown intent's event id is not consumed")
            let kinds = try await setup.store.checkInHistory(waiting.id).map(\.kind.rawValue)
            #expect(kinds.suffix(3) == ["PAYMENT_FAILED", "PAYMENT_SUCCEEDED", "CHECKIN_COMPLETED"])
        }
    }

    @Test(arguments: StoreKind.available)
    func cancellingTheSeatReopensACompletedCheckInButASeatChangeDoesNot(kind: StoreKind) async throws {
        try await withSetup(kind) { setup in
            let passenger = setup.passengers[0]
            let seat = try await setup.confirmSeat("12A", for: passenger)
            let started = try await setup.store.startCheckIn(flightID: Self.flight, passengerID: passenger, at: setup.now)
            let completed = try await setup.store.changeCheckIn(started.checkIn.id, at: setup.now) { checkIn in
                try CheckInRules.complete(checkIn, policy: Self.policy, now: setup.now)
            }
            #expect(completed.state == .completed)
            // A seat change keeps the check-in complete, on the new seat.
            let newSeat = try await setup.confirmSeat("14C", for: passenger)
            let moved = try #require(try await setup.store.checkIn(completed.id))
            #expect(moved.state == .completed)
            #expect(moved.seatID == SeatID("14C"))
            #expect(try await setup.store.hold(seat.id)?.state == .cancelled)
            // Cancelling the only seat reopens it, keeping its sequence number.
            _ = try await setup.store.cancelHold(newSeat.id, by: passenger, at: setup.now)
            let reopened = try #require(try await setup.store.checkIn(completed.id))
            #expect(reopened.state == .inProgress)
            #expect(reopened.seatID == nil)
            #expect(reopened.sequenceNumber == completed.sequenceNumber)
            #expect(try await setup.store.checkInHistory(completed.id).map(\.kind.rawValue).last == "CHECKIN_REOPENED")
        }
    }

    @Test(arguments: StoreKind.available)
    func closingCancelsUnfinishedCheckInsAndMarksPaidFeesForRefund(kind: StoreKind) async throws {
        try await withSetup(kind) { setup in
            let (first, second) = (setup.passengers[0], setup.passengers[1])
            _ = try await setup.confirmSeat("1A", for: first)
            let done = try await setup.store.startCheckIn(flightID: Self.flight, passengerID: first, at: setup.now)
            _ = try await setup.store.changeCheckIn(done.checkIn.id, at: setup.now) {
                try CheckInRules.complete($0, policy: Self.policy, now: setup.now)
            }
            let open = try await setup.store.startCheckIn(flightID: Self.flight, passengerID: second, at: setup.now)
            let waiting = try await setup.addBag("HEAVY1", kg: 30, to: open.checkIn, intent: "pi_late")
            let closed = try await setup.store.closeCheckIns(flightID: Self.flight, at: setup.now)
            #expect(closed.map(\.id) == [waiting.id])
            #expect(closed.first?.state == .cancelled)
            #expect(try await setup.store.checkIn(done.checkIn.id)?.state == .completed)
            // The payment that succeeds afterwards is kept, marked for refund.
            guard case .applied(let late) = try await setup.store.recordPaymentEvent(
                PaymentEvent(eventID: "evt_late", intentID: "pi_late", succeeded: true), policy: Self.policy, at: setup.now)
            else { Issue.record("not applied"); return }
            #expect(late.state == .cancelled)
            #expect(late.payment?.refundDue == true)
            #expect(late.payment?.status == .succeeded)
        }
    }
}
