import Foundation
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Testing

/// Retention purges, jobs put off by an outage and the repair's reads, on every store.
@Suite struct MaintenanceConformanceTests {
    static let flight = FlightID("SH100")!
    static let day: TimeInterval = 86_400

    @Test(arguments: StoreKind.available)
    func purgesTakeOnlyOldRowsInBoundedBatches(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let start = fixtures.clock.now()
            let reference = Fixtures.newReference()
            let passenger = Passenger(id: UUID(), firstName: "Test", lastName: "Old")
            try await store.createBooking(Booking(reference: reference, flightID: Self.flight, passengers: [passenger]), at: start)
            for index in 0..<3 {
                try await store.createSession(tokenHash: "old\(index)", booking: reference, createdAt: start, expiresAt: start + 60)
            }
            try await store.createSession(tokenHash: "fresh", booking: reference, createdAt: start, expiresAt: start + 2 * Self.day)
            let cutoff = start + Self.day
            #expect(try await store.purge(.sessions, before: cutoff, limit: 2) == 2)
            #expect(try await store.purge(.sessions, before: cutoff, limit: 2) == 1)
            #expect(try await store.purge(.sessions, before: cutoff, limit: 2) == 0)
            #expect(try await store.sessionBooking(tokenHash: "fresh", at: start) == reference)

            for key in ["a", "b"] {
                _ = try await store.runIdempotently(IdempotencyScope(client: "c", route: "/r", key: key), requestHash: "h",
                                                    at: key == "a" ? start : start + 2 * Self.day) {
                    IdempotentAnswer(response: StoredResponse(status: 200, contentType: "application/json", body: Data("{}".utf8)),
                                     keep: true)
                }
            }
            #expect(try await store.purge(.idempotencyKeys, before: cutoff, limit: 10) == 1)
            let kept = try await store.runIdempotently(IdempotencyScope(client: "c", route: "/r", key: "b"), requestHash: "h",
                                                       at: start) {
                IdempotentAnswer(response: StoredResponse(status: 500, contentType: "text/plain", body: Data()), keep: false)
            }
            #expect(kept == .replay(StoredResponse(status: 200, contentType: "application/json", body: Data("{}".utf8))))

            let done = try await store.enqueue(NewJob(kind: "test.done", payload: "{}"), requestID: nil, at: start)
            let dead = try await store.enqueue(NewJob(kind: "test.dead", payload: "{}", maxAttempts: 1), requestID: nil, at: start)
            _ = try await store.claimJobs(worker: "w", at: start, lease: 30, limit: 10)
            #expect(try await store.completeJob(done.id, worker: "w", at: start))
            #expect(try await store.failJob(dead.id, worker: "w", error: "x", retryAt: start, at: start) == .dead)
            #expect(try await store.purge(.finishedJobs, before: cutoff, limit: 10) == 1)
            #expect(try await store.job(done.id) == nil)
            #expect(try await store.job(dead.id)?.state == .dead, "dead jobs wait for an admin")

            // Joining while a seat is free assigns it and writes a notification.
            let entry = try await store.joinWaitlist(flightID: Self.flight, passengerID: passenger.id,
                                                     preferences: SeatPreferences(seats: [SeatID("12A")!]), at: start)
            #expect(entry.state == .assigned)
            let messages = try await store.outboxMessages(for: passenger.id)
            #expect(messages.count == 1)
            #expect(try await store.purge(.deliveredNotifications, before: cutoff, limit: 10) == 0, "undelivered stays")
            try await store.markDelivered(messages[0].id, at: start)
            #expect(try await store.purge(.deliveredNotifications, before: start, limit: 10) == 1)
            #expect(try await store.outboxMessages(for: passenger.id).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func oldPaymentEventsArePurged(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passenger = try await fixtures.passengers(1)[0]
            let now = fixtures.clock.now()
            let checkIn = try await store.startCheckIn(flightID: Self.flight, passengerID: passenger, at: now).checkIn
            let policy = BaggagePolicy()
            let bag = Bag(tag: BagTag("HEAVY01")!, declaredGrams: nil, weightGrams: 30_000, addedAt: now)
            var update = try CheckInRules.addBags([bag], to: checkIn, policy: policy, now: now)
            let due = try #require(CheckInRules.paymentNeeded(update.checkIn, policy: policy))
            update = CheckInRules.attach(PaymentIntent(id: "pi_1", amount: due, status: .pending), to: update, policy: policy, now: now)
            _ = try await store.saveCheckIn(update, expectedRevision: checkIn.revision, at: now)
            let event = PaymentEvent(eventID: "evt_1", intentID: "pi_1", succeeded: false)
            _ = try await store.recordPaymentEvent(event, policy: policy, at: now)
            #expect(try await store.recordPaymentEvent(event, policy: policy, at: now) == .duplicate)
            #expect(try await store.purge(.paymentEvents, before: now - 1, limit: 10) == 0)
            #expect(try await store.purge(.paymentEvents, before: now + 1, limit: 10) == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func anOutageNeverUsesUpAJobsAttempts(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let job = try await store.enqueue(NewJob(kind: "test.outage", payload: "{}", maxAttempts: 1), requestID: nil, at: now)
            for round in 1...5 {
                let claimed = try await store.claimJobs(worker: "w", at: now + Double(round), lease: 30, limit: 1)
                #expect(claimed.map(\.id) == [job.id])
                #expect(claimed.first?.attempts == 1)
                #expect(try await store.postponeJob(job.id, worker: "w", reason: "payment service unavailable",
                                                    retryAt: now + Double(round), at: now + Double(round)))
                #expect(try await store.postponeJob(job.id, worker: "w", reason: "again", retryAt: now, at: now) == false,
                        "only the worker holding the lease can put it off")
            }
            let postponed = try #require(try await store.job(job.id))
            #expect(postponed.state == .retrying)
            #expect(postponed.attempts == 0)
            #expect(postponed.postponements == 5)
            #expect(postponed.lastError == "payment service unavailable")
            _ = try await store.claimJobs(worker: "w", at: now + 10, lease: 30, limit: 1)
            #expect(try await store.failJob(job.id, worker: "w", error: "a real failure", retryAt: now, at: now + 10) == .dead)
        }
    }

    @Test(arguments: StoreKind.available)
    func aFreeSeatAWaitingEntryWantsIsOfferedWithoutAnyJob(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            try await fixtures.flight("SH200")
            let (holder, waiter, other) = try await { let p = try await fixtures.passengers(3); return (p[0], p[1], p[2]) }()
            let now = fixtures.clock.now()
            let hold = try await store.placeHold(flightID: Self.flight, seatID: SeatID("12A")!, passengerID: holder, at: now, duration: 120)
            let entry = try await store.joinWaitlist(flightID: Self.flight, passengerID: waiter,
                                                     preferences: SeatPreferences(seats: [SeatID("12A")!]), at: now)
            #expect(entry.state == .waiting)
            let second = try await store.joinWaitlist(flightID: Self.flight, passengerID: other,
                                                      preferences: SeatPreferences(seats: [SeatID("12A")!]), at: now)
            #expect(try await store.flightsWithWaitingEntries(at: now, limit: 10) == [Self.flight])
            #expect(try await store.offerFreeSeats(flightID: Self.flight, at: now).isEmpty, "12A is held")
            // The hold lapses; nobody swept it and no offer job ran: the repair finds the seat.
            let later = now + 121
            let winners = try await store.offerFreeSeats(flightID: Self.flight, at: later)
            #expect(winners.map(\.id) == [entry.id], "the first in line gets it")
            #expect(winners.first?.seatID == SeatID("12A"))
            #expect(try await store.hold(hold.id)?.state == .expired)
            #expect(try await store.waitlistEntry(second.id)?.state == .waiting)
            #expect(try await store.flightsWithWaitingEntries(at: later, limit: 10) == [Self.flight])
            #expect(try await store.offerFreeSeats(flightID: Self.flight, at: later).isEmpty, "running it again changes nothing")
        }
    }
}
