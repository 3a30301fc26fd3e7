import Foundation
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Testing

/// The hold rules every store must keep. Each test runs on SQLite and, when configured, PostgreSQL.
@Suite struct HoldConformanceTests {
    static let seat = SeatID("12A")!
    static let flight = FlightID("SH100")!
    static let duration: TimeInterval = 120

    @Test(arguments: StoreKind.available)
    func holdingMakesTheSeatHeldAndBumpsTheVersion(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passenger = try await fixtures.passengers(1)[0]
            let before = try #require(try await store.seatMap(Self.flight, at: fixtures.clock.now()))
            let hold = try await store.placeHold(flightID: Self.flight, seatID: Self.seat, passengerID: passenger,
                                                 at: fixtures.clock.now(), duration: Self.duration)
            #expect(hold.state == .held)
            #expect(hold.expiresAt == fixtures.clock.now() + Self.duration)
            let placed = try #require(try await store.events(of: Self.flight).last?.version)
            #expect(placed > before.version)
            let after = try #require(try await settledSeatMap(store, Self.flight, at: fixtures.clock.now(), reaching: placed))
            #expect(after.state(of: Self.seat) == .held)
            #expect(after.version == placed)
            #expect(try await store.hold(hold.id) == hold)
        }
    }

    @Test(arguments: StoreKind.available)
    func twoHundredConcurrentHoldsOnOneSeatHaveExactlyOneWinner(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(200)
            let now = fixtures.clock.now()
            let outcomes = await withTaskGroup(of: Result<Hold, any Error>.self) { group in
                for passenger in passengers {
                    group.addTask {
                        do {
                            return .success(try await store.placeHold(flightID: Self.flight, seatID: Self.seat,
                                                                      passengerID: passenger, at: now, duration: Self.duration))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.compactMap { try? $0.get() }
            #expect(winners.count == 1)
            for case .failure(let error) in outcomes {
                #expect(error as? DomainError == .seatUnavailable(Self.seat))
            }
            let events = try await store.events(of: Self.flight).filter { $0.kind == .hold(.placed) }
            #expect(events.count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func concurrentHoldsOnDifferentSeatsAllSucceed(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(60)
            let seats = try AircraftLayout.builtIn["A320"]!.seats().suffix(60).map(\.id)
            let now = fixtures.clock.now()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (passenger, seat) in zip(passengers, seats) {
                    group.addTask {
                        _ = try await store.placeHold(flightID: Self.flight, seatID: seat, passengerID: passenger,
                                                      at: now, duration: Self.duration)
                    }
                }
                try await group.waitForAll()
            }
            // 60 changes, each with its own version: dense on SQLite, transaction ids on PostgreSQL.
            let versions = try await store.events(of: Self.flight).compactMap(\.version)
            #expect(Set(versions).count == 60)
            let map = try #require(try await settledSeatMap(store, Self.flight, at: now, reaching: versions.max() ?? 0))
            #expect(seats.allSatisfy { map.state(of: $0) == .held })
            #expect(map.version == versions.max())
        }
    }

    @Test(arguments: StoreKind.available)
    func anExpiredHoldCannotBeConfirmedAndItsSeatIsFreeBeforeAnySweep(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(2)
            let hold = try await store.placeHold(flightID: Self.flight, seatID: Self.seat, passengerID: passengers[0],
                                                 at: fixtures.clock.now(), duration: Self.duration)
            fixtures.clock.advance(by: Self.duration - 0.001)
            #expect(try await store.seatMap(Self.flight, at: fixtures.clock.now())?.state(of: Self.seat) == .held)
            fixtures.clock.advance(by: 0.001)
            #expect(try await store.seatMap(Self.flight, at: fixtures.clock.now())?.state(of: Self.seat) == .available)
            await #expect(throws: DomainError.holdExpired(hold.id)) {
                try await store.confirmHold(hold.id, by: passengers[0], at: fixtures.clock.now())
            }
            let next = try await store.placeHold(flightID: Self.flight, seatID: Self.seat, passengerID: passengers[1],
                                                 at: fixtures.clock.now(), duration: Self.duration)
            #expect(next.state == .held)
            #expect(try await store.hold(hold.id)?.state == .expired)
            let kinds = try await store.events(of: Self.flight).map(\.kind.rawValue)
            #expect(kinds == ["HOLD_PLACED", "HOLD_EXPIRED", "HOLD_PLACED"])
            // Still 410 after the hold has been marked EXPIRED.
            await #expect(throws: DomainError.holdExpired(hold.id)) {
                try await store.confirmHold(hold.id, by: passengers[0], at: fixtures.clock.now())
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func theSweepExpiresDueHoldsOnceAndRecordsThem(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(3)
            let seats = ["1A", "2A", "3A"].map { SeatID($0)! }
            for (index, passenger) in passengers.enumerated() {
                _ = try await store.placeHold(flightID: Self.flight, seatID: seats[index], passengerID: passenger,
                                              at: fixtures.clock.now(), duration: Self.duration * Double(index + 1))
            }
            #expect(try await store.nextHoldExpiry() == fixtures.clock.now() + Self.duration)
            fixtures.clock.advance(by: Self.duration * 2)
            let expired = try await store.expireHolds(at: fixtures.clock.now(), limit: 100)
            #expect(Set(expired.map(\.seatID)) == Set(seats.prefix(2)))
            #expect(expired.allSatisfy { $0.state == .expired })
            #expect(try await store.expireHolds(at: fixtures.clock.now(), limit: 100).isEmpty)
            #expect(try await store.nextHoldExpiry() == fixtures.clock.now() + Self.duration)
            let expiredEvents = try await store.events(of: Self.flight).filter { $0.kind == .hold(.expired) }
            #expect(expiredEvents.count == 2)
            #expect(expiredEvents.allSatisfy { $0.fromState == "HELD" && $0.toState == "EXPIRED" && $0.actor == .system("expiry") })
        }
    }

    @Test(arguments: StoreKind.available)
    func aSecondHoldReleasesThePassengersFirst(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passenger = try await fixtures.passengers(1)[0]
            let now = fixtures.clock.now()
            let first = try await store.placeHold(flightID: Self.flight, seatID: SeatID("5A")!, passengerID: passenger,
                                                  at: now, duration: Self.duration)
            let second = try await store.placeHold(flightID: Self.flight, seatID: SeatID("6A")!, passengerID: passenger,
                                                   at: now, duration: Self.duration)
            #expect(try await store.hold(first.id)?.state == .cancelled)
            #expect(second.state == .held)
            let map = try #require(try await store.seatMap(Self.flight, at: now))
            #expect(map.state(of: SeatID("5A")!) == .available)
            #expect(map.state(of: SeatID("6A")!) == .held)
            await #expect(throws: DomainError.alreadyHoldingSeat(SeatID("6A")!)) {
                try await store.placeHold(flightID: Self.flight, seatID: SeatID("6A")!, passengerID: passenger,
                                          at: now, duration: Self.duration)
            }
            #expect(try await store.events(of: Self.flight).map(\.kind.rawValue) == ["HOLD_PLACED", "HOLD_RELEASED", "HOLD_PLACED"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aSeatChangeKeepsTheOldSeatUntilTheNewOneIsConfirmed(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passenger = try await fixtures.passengers(1)[0]
            let now = fixtures.clock.now()
            let old = try await store.placeHold(flightID: Self.flight, seatID: SeatID("5A")!, passengerID: passenger,
                                                at: now, duration: Self.duration)
            _ = try await store.confirmHold(old.id, by: passenger, at: now)
            let new = try await store.placeHold(flightID: Self.flight, seatID: SeatID("7C")!, passengerID: passenger,
                                                at: now, duration: Self.duration)
            #expect(try await store.hold(old.id)?.state == .confirmed)
            let confirmed = try await store.confirmHold(new.id, by: passenger, at: now)
            #expect(confirmed.state == .confirmed)
            #expect(try await store.hold(old.id)?.state == .cancelled)
            let map = try #require(try await store.seatMap(Self.flight, at: now))
            #expect(map.state(of: SeatID("5A")!) == .available)
            #expect(map.state(of: SeatID("7C")!) == .confirmed)
        }
    }

    @Test(arguments: StoreKind.available)
    func cancelFreesTheSeatAtOnce(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(2)
            let now = fixtures.clock.now()
            let hold = try await store.placeHold(flightID: Self.flight, seatID: Self.seat, passengerID: passengers[0],
                                                 at: now, duration: Self.duration)
            _ = try await store.confirmHold(hold.id, by: passengers[0], at: now)
            await #expect(throws: DomainError.notYourBooking) {
                try await store.cancelHold(hold.id, by: passengers[1], at: now)
            }
            let cancelled = try await store.cancelHold(hold.id, by: passengers[0], at: now)
            #expect(cancelled.state == .cancelled)
            #expect(try await store.seatMap(Self.flight, at: now)?.state(of: Self.seat) == .available)
            await #expect(throws: DomainError.holdNotActive(.cancelled)) {
                try await store.cancelHold(hold.id, by: passengers[0], at: now)
            }
            _ = try await store.placeHold(flightID: Self.flight, seatID: Self.seat, passengerID: passengers[1],
                                          at: now, duration: Self.duration)
        }
    }

    @Test(arguments: StoreKind.available)
    func confirmRules(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(2)
            let now = fixtures.clock.now()
            let hold = try await store.placeHold(flightID: Self.flight, seatID: Self.seat, passengerID: passengers[0],
                                                 at: now, duration: Self.duration)
            await #expect(throws: DomainError.notYourBooking) {
                try await store.confirmHold(hold.id, by: passengers[1], at: now)
            }
            _ = try await store.confirmHold(hold.id, by: passengers[0], at: now)
            await #expect(throws: DomainError.holdNotHeld(.confirmed)) {
                try await store.confirmHold(hold.id, by: passengers[0], at: now)
            }
            let missing = HoldID()
            await #expect(throws: DomainError.holdNotFound(missing)) {
                try await store.confirmHold(missing, by: passengers[0], at: now)
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func nothingChangesAfterDeparture(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight(departsIn: 3600)
            let passenger = try await fixtures.passengers(1)[0]
            let hold = try await store.placeHold(flightID: Self.flight, seatID: Self.seat, passengerID: passenger,
                                                 at: fixtures.clock.now(), duration: Self.duration)
            _ = try await store.confirmHold(hold.id, by: passenger, at: fixtures.clock.now())
            fixtures.clock.advance(by: 3600)
            await #expect(throws: DomainError.flightDeparted(Self.flight)) {
                try await store.cancelHold(hold.id, by: passenger, at: fixtures.clock.now())
            }
            await #expect(throws: DomainError.flightDeparted(Self.flight)) {
                try await store.placeHold(flightID: Self.flight, seatID: SeatID("1A")!, passengerID: passenger,
                                          at: fixtures.clock.now(), duration: Self.duration)
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func unknownFlightsAndSeatsAreNotFound(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passenger = try await fixtures.passengers(1)[0]
            await #expect(throws: DomainError.flightNotFound(FlightID("NOPE")!)) {
                try await store.placeHold(flightID: FlightID("NOPE")!, seatID: Self.seat, passengerID: passenger,
                                          at: fixtures.clock.now(), duration: Self.duration)
            }
            await #expect(throws: DomainError.seatNotFound(Self.flight, SeatID("99Z")!)) {
                try await store.placeHold(flightID: Self.flight, seatID: SeatID("99Z")!, passengerID: passenger,
                                          at: fixtures.clock.now(), duration: Self.duration)
            }
        }
    }
}
