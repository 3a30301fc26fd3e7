import Foundation
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Testing

/// The waitlist's rules, on every store.
@Suite struct WaitlistConformanceTests {
    static let flight = FlightID("SH100")!

    /// A full flight but for `free`, so waitlist tests control which seat frees up.
    func fillFlight(_ store: SQLStore, _ fixtures: Fixtures, except free: [String] = []) async throws -> [Hold] {
        let seats = try AircraftLayout.builtIn["A320"]!.seats().map(\.id).filter { !free.contains($0.description) }
        let passengers = try await fixtures.passengers(seats.count)
        var holds: [Hold] = []
        for (seat, passenger) in zip(seats, passengers) {
            let hold = try await store.placeHold(flightID: Self.flight, seatID: seat, passengerID: passenger,
                                                 at: fixtures.clock.now(), duration: 120)
            holds.append(try await store.confirmHold(hold.id, by: passenger, at: fixtures.clock.now()))
        }
        return holds
    }

    @Test(arguments: StoreKind.available)
    func priorityThenJoinTimeDecidesWhoGetsAFreedSeat(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let holds = try await fillFlight(store, fixtures)
            let early = try await fixtures.passengers(1)[0]
            let later = try await fixtures.passengers(1)[0]
            let gold = try await fixtures.passengers(1, tier: .gold)[0]
            var entries: [WaitlistEntry] = []
            for passenger in [early, later, gold] {
                entries.append(try await store.joinWaitlist(flightID: Self.flight, passengerID: passenger,
                                                            preferences: SeatPreferences(), at: fixtures.clock.now()))
                fixtures.clock.advance(by: 1)
            }
            #expect(entries.allSatisfy { $0.state == .waiting })
            #expect(try await store.waitlistPosition(of: entries[2]) == 1)
            #expect(try await store.waitlistPosition(of: entries[0]) == 2)
            #expect(try await store.waitlistPosition(of: entries[1]) == 3)
            await #expect(throws: DomainError.alreadyWaiting(entries[0].id)) {
                try await store.joinWaitlist(flightID: Self.flight, passengerID: early, preferences: SeatPreferences(),
                                             at: fixtures.clock.now())
            }
            for (index, expected) in [gold, early, later].enumerated() {
                let freed = holds[index]
                _ = try await store.cancelHold(freed.id, by: freed.passengerID, at: fixtures.clock.now())
                let winner = try await store.offerSeat(flightID: Self.flight, seatID: freed.seatID, at: fixtures.clock.now())
                #expect(winner?.passengerID == expected)
                #expect(winner?.state == .assigned && winner?.seatID == freed.seatID)
                let holdID = try #require(winner?.holdID)
                let hold = try #require(try await store.hold(holdID))
                #expect(hold.state == .confirmed && hold.passengerID == expected)
                // Offering the same seat again assigns nothing: at most once per freed seat.
                #expect(try await store.offerSeat(flightID: Self.flight, seatID: freed.seatID, at: fixtures.clock.now()) == nil)
            }
            let messages = try await store.outboxMessages(for: gold)
            #expect(messages.map(\.kind) == ["SEAT_ASSIGNED"])
        }
    }

    @Test(arguments: StoreKind.available)
    func preferencesAreRespectedAndSkipsAreRecorded(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let holds = try await fillFlight(store, fixtures)
            let wantsBusiness = try await fixtures.passengers(1, tier: .platinum)[0]
            let wantsWindow = try await fixtures.passengers(1)[0]
            let business = try await store.joinWaitlist(flightID: Self.flight, passengerID: wantsBusiness,
                                                        preferences: SeatPreferences(cabin: .business), at: fixtures.clock.now())
            _ = try await store.joinWaitlist(flightID: Self.flight, passengerID: wantsWindow,
                                             preferences: SeatPreferences(seatType: .window), at: fixtures.clock.now())
            let window = try #require(holds.first { $0.seatID == SeatID("20F")! })
            let middle = try #require(holds.first { $0.seatID == SeatID("20E")! })
            _ = try await store.cancelHold(middle.id, by: middle.passengerID, at: fixtures.clock.now())
            #expect(try await store.offerSeat(flightID: Self.flight, seatID: middle.seatID, at: fixtures.clock.now()) == nil)
            _ = try await store.cancelHold(window.id, by: window.passengerID, at: fixtures.clock.now())
            let winner = try await store.offerSeat(flightID: Self.flight, seatID: window.seatID, at: fixtures.clock.now())
            #expect(winner?.passengerID == wantsWindow)
            let skips = try await store.events(of: Self.flight).filter { $0.kind == .waitlist(.skipped) }
            #expect(skips.contains { $0.waitlistID == business.id && $0.seatID == SeatID("20F") && $0.detail == "wants BUSINESS, seat is ECONOMY" })
            #expect(skips.contains { $0.seatID == SeatID("20E") && $0.detail == "wants a WINDOW seat" })
            await #expect(throws: DomainError.self) {
                try await store.joinWaitlist(flightID: Self.flight, passengerID: wantsWindow,
                                             preferences: SeatPreferences(seats: [SeatID("99Z")!]), at: fixtures.clock.now())
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func joiningWhileAMatchingSeatIsFreeAssignsItAtOnceAsASeatChange(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            _ = try await fillFlight(store, fixtures, except: ["1A", "25C"])
            let passenger = try await fixtures.passengers(1)[0]
            let economy = try await store.placeHold(flightID: Self.flight, seatID: SeatID("25C")!, passengerID: passenger,
                                                    at: fixtures.clock.now(), duration: 120)
            _ = try await store.confirmHold(economy.id, by: passenger, at: fixtures.clock.now())
            let entry = try await store.joinWaitlist(flightID: Self.flight, passengerID: passenger,
                                                     preferences: SeatPreferences(cabin: .business), at: fixtures.clock.now())
            #expect(entry.state == .assigned)
            #expect(entry.seatID == SeatID("1A"))
            #expect(try await store.waitlistPosition(of: entry) == nil)
            #expect(try await store.hold(economy.id)?.state == .cancelled)
            let map = try #require(try await store.seatMap(Self.flight, at: fixtures.clock.now()))
            #expect(map.state(of: SeatID("1A")!) == .confirmed)
            #expect(map.state(of: SeatID("25C")!) == .available)
            let kinds = try await store.events(of: Self.flight).suffix(4).map(\.kind.rawValue)
            #expect(kinds == ["WAITLIST_JOINED", "WAITLIST_ASSIGNED", "HOLD_RELEASED", "HOLD_ASSIGNED"])
        }
    }

    @Test(arguments: StoreKind.available)
    func concurrentOffersAssignEachSeatAndEachEntryOnce(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let holds = try await fillFlight(store, fixtures)
            let waiting = try await fixtures.passengers(6)
            for passenger in waiting {
                _ = try await store.joinWaitlist(flightID: Self.flight, passengerID: passenger, preferences: SeatPreferences(),
                                                 at: fixtures.clock.now())
            }
            let freed = Array(holds.prefix(4))
            for hold in freed { _ = try await store.cancelHold(hold.id, by: hold.passengerID, at: fixtures.clock.now()) }
            let now = fixtures.clock.now()
            // Every freed seat offered by three workers at once.
            let winners = try await withThrowingTaskGroup(of: WaitlistEntry?.self) { group in
                for hold in freed {
                    for _ in 0..<3 {
                        group.addTask { try await store.offerSeat(flightID: Self.flight, seatID: hold.seatID, at: now) }
                    }
                }
                return try await group.reduce(into: [WaitlistEntry]()) { if let entry = $1 { $0.append(entry) } }
            }
            #expect(winners.count == 4)
            #expect(Set(winners.map(\.id)).count == 4)
            #expect(Set(winners.compactMap(\.seatID)) == Set(freed.map(\.seatID)))
            #expect(Set(winners.map(\.passengerID)) == Set(waiting.prefix(4)))
        }
    }

    @Test(arguments: StoreKind.available)
    func leavingAndClosing(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight(departsIn: 3600)
            _ = try await fillFlight(store, fixtures)
            let passengers = try await fixtures.passengers(3)
            var entries: [WaitlistEntry] = []
            for passenger in passengers {
                entries.append(try await store.joinWaitlist(flightID: Self.flight, passengerID: passenger,
                                                            preferences: SeatPreferences(), at: fixtures.clock.now()))
            }
            await #expect(throws: DomainError.notYourBooking) {
                try await store.leaveWaitlist(entries[0].id, by: passengers[1], at: fixtures.clock.now())
            }
            #expect(try await store.leaveWaitlist(entries[0].id, by: passengers[0], at: fixtures.clock.now()).state == .cancelled)
            #expect(try await store.waitlistPosition(of: entries[1]) == 1)
            // Check-in closes 45 minutes before departure.
            fixtures.clock.advance(by: 15 * 60)
            await #expect(throws: DomainError.waitlistClosed(Self.flight)) {
                try await store.joinWaitlist(flightID: Self.flight, passengerID: passengers[0], preferences: SeatPreferences(),
                                             at: fixtures.clock.now())
            }
            let expired = try await store.closeWaitlist(flightID: Self.flight, at: fixtures.clock.now())
            #expect(Set(expired.map(\.id)) == Set(entries.suffix(2).map(\.id)))
            #expect(try await store.waitlistEntry(entries[1].id)?.state == .expired)
            #expect(try await store.waitlistEntry(entries[0].id)?.state == .cancelled)
            #expect(try await store.closeWaitlist(flightID: Self.flight, at: fixtures.clock.now()).isEmpty)
            // The close was scheduled as a job when the flight was created.
            let due = try await store.claimJobs(worker: "w", at: fixtures.clock.now(), lease: 30, limit: 100)
            #expect(due.contains { $0.kind == JobKind.closeWaitlist.rawValue })
        }
    }
}
