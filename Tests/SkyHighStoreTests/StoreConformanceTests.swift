import Foundation
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Testing

/// Flights, bookings, sessions, idempotency keys and the history, on every store.
@Suite struct StoreConformanceTests {
    @Test func thePostgresSuiteRunsWhenRequired() {
        // CI sets SKYHIGH_REQUIRE_POSTGRES=1: a skipped PostgreSQL suite must fail the run there.
        if TestPostgres.required {
            #expect(StoreKind.available.contains(.postgres), "SKYHIGH_TEST_POSTGRES_URL is not set")
        }
    }

    @Test(arguments: StoreKind.available)
    func flightsAndTheirSeatMaps(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            let flight = try await fixtures.flight("SH100", type: "B77W")
            #expect(try await store.flight(flight.id) == flight)
            let map = try #require(try await store.seatMap(flight.id, at: fixtures.clock.now()))
            let seats = try AircraftLayout.builtIn["B77W"]!.seats()
            #expect(map.version == 0)
            #expect(map.cabins.map(\.cabin) == [.first, .business, .premiumEconomy, .economy])
            let flat = map.cabins.flatMap { $0.rows.flatMap(\.seats) }
            #expect(flat.map(\.seat) == seats)
            #expect(flat.allSatisfy { $0.state == .available })
            await #expect(throws: DomainError.flightExists(flight.id)) {
                try await store.createFlight(flight, seats: seats, at: fixtures.clock.now())
            }
            #expect(try await store.flight(FlightID("OTHER")!) == nil)
            #expect(try await store.seatMap(FlightID("OTHER")!, at: fixtures.clock.now()) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func upcomingFlightsAreTheSoonestStillToDepart(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight("LATER", departsIn: 3 * 86_400)
            try await fixtures.flight("SOONER", departsIn: 86_400)
            try await fixtures.flight("GONE", departsIn: 3_600)
            try await fixtures.flight("NEXT", departsIn: 2 * 86_400)
            fixtures.clock.advance(by: 7_200)
            let now = fixtures.clock.now()
            #expect(try await store.upcomingFlights(after: now, limit: 10).map(\.rawValue) == ["SOONER", "NEXT", "LATER"])
            #expect(try await store.upcomingFlights(after: now, limit: 2).map(\.rawValue) == ["SOONER", "NEXT"])
            #expect(try await store.upcomingFlights(after: now + 4 * 86_400, limit: 10).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func bookings(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let booking = Booking(reference: BookingReference("ABC123")!, flightID: FlightID("SH100")!, passengers: [
                Passenger(id: UUID(), firstName: "Ada", lastName: "Lovelace", priorityTier: .gold),
                Passenger(id: UUID(), firstName: "Charles", lastName: "Babbage"),
            ])
            try await store.createBooking(booking, at: fixtures.clock.now())
            #expect(try await store.booking(booking.reference) == booking)
            #expect(try await store.booking(of: booking.passengers[1].id) == booking)
            #expect(try await store.booking(of: UUID()) == nil)
            await #expect(throws: DomainError.bookingExists(booking.reference)) {
                try await store.createBooking(booking, at: fixtures.clock.now())
            }
            let elsewhere = Booking(reference: BookingReference("XYZ789")!, flightID: FlightID("NONE")!,
                                    passengers: [Passenger(id: UUID(), firstName: "A", lastName: "B")])
            await #expect(throws: DomainError.flightNotFound(FlightID("NONE")!)) {
                try await store.createBooking(elsewhere, at: fixtures.clock.now())
            }
            #expect(try await store.booking(elsewhere.reference) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func sessionsExpire(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let booking = Booking(reference: BookingReference("ABC123")!, flightID: FlightID("SH100")!,
                                  passengers: [Passenger(id: UUID(), firstName: "Ada", lastName: "Lovelace")])
            try await store.createBooking(booking, at: fixtures.clock.now())
            let now = fixtures.clock.now()
            try await store.createSession(tokenHash: "hash", booking: booking.reference, createdAt: now, expiresAt: now + 60)
            #expect(try await store.sessionBooking(tokenHash: "hash", at: now + 59) == booking.reference)
            #expect(try await store.sessionBooking(tokenHash: "hash", at: now + 60) == nil)
            #expect(try await store.sessionBooking(tokenHash: "other", at: now) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func idempotencyKeys(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let scope = IdempotencyScope(client: "booking:ABC123", route: "/holds/1/confirm", key: "k1")
            let response = StoredResponse(status: 201, contentType: "application/json", body: Data("{\"a\":1}".utf8),
                                          location: "/holds/1")
            let runs = Observed<Int>()
            let first = try await store.runIdempotently(scope, requestHash: "h1", at: now) {
                runs.report(1)
                return IdempotentAnswer(response: response, keep: true)
            }
            #expect(first == .performed(response))
            #expect(try await store.runIdempotently(scope, requestHash: "h1", at: now) {
                runs.report(2)
                return IdempotentAnswer(response: response, keep: true)
            } == .replay(response))
            #expect(try await store.runIdempotently(scope, requestHash: "h2", at: now) {
                runs.report(3)
                return IdempotentAnswer(response: response, keep: true)
            } == .mismatch)
            #expect(runs.all == [1])
            // Same key, other client: independent.
            let otherClient = IdempotencyScope(client: "booking:XYZ789", route: scope.route, key: "k1")
            #expect(try await store.runIdempotently(otherClient, requestHash: "h2", at: now) {
                IdempotentAnswer(response: response, keep: true)
            } == .performed(response))
        }
    }

    /// The effect of a request with a key and its stored answer commit together: a request that
    /// dies after its effect (here: throws, as a process that dies mid-transaction rolls back)
    /// leaves neither, and the retry performs it once; an answer not kept (a 5xx) keeps no effect.
    @Test(arguments: StoreKind.available)
    func anIdempotentEffectCommitsWithItsAnswerOrNotAtAll(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passenger = try await fixtures.passengers(1)[0]
            let flight = FlightID("SH100")!
            let now = fixtures.clock.now()
            let scope = IdempotencyScope(client: "booking:ABC123", route: "/flights/SH100/seats/12A/hold", key: "k")
            struct Crash: Error {}
            let hold: @Sendable () async throws -> StoredResponse = {
                let hold = try await store.placeHold(flightID: flight, seatID: SeatID("12A")!, passengerID: passenger,
                                                     at: now, duration: 120)
                return StoredResponse(status: 201, contentType: "application/json", body: Data(hold.id.uuidString.utf8))
            }
            await #expect(throws: Crash.self) {
                _ = try await store.runIdempotently(scope, requestHash: "h", at: now) {
                    _ = try await hold()
                    throw Crash()
                }
            }
            #expect(try await store.seatMap(flight, at: now)?.state(of: SeatID("12A")!) == .available)
            let kept = try await store.runIdempotently(scope, requestHash: "h", at: now) {
                IdempotentAnswer(response: try await hold(), keep: false)
            }
            guard case .performed = kept else { Issue.record("\(kept)"); return }
            #expect(try await store.seatMap(flight, at: now)?.state(of: SeatID("12A")!) == .available)
            let performed = try await store.runIdempotently(scope, requestHash: "h", at: now) {
                IdempotentAnswer(response: try await hold(), keep: true)
            }
            guard case .performed(let answer) = performed else { Issue.record("\(performed)"); return }
            #expect(try await store.seatMap(flight, at: now)?.state(of: SeatID("12A")!) == .held)
            #expect(try await store.runIdempotently(scope, requestHash: "h", at: now) {
                IdempotentAnswer(response: try await hold(), keep: true)
            } == .replay(answer))
            let placed = try await store.events(of: flight).filter { $0.kind == .hold(.placed) }
            #expect(placed.count == 1)
        }
    }

    /// Two requests with one key at once: one performs, the other waits for it and replays its
    /// answer (or hears that it is still in progress); the effect happens once.
    @Test(arguments: StoreKind.available)
    func concurrentRequestsWithOneKeyPerformOnce(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passenger = try await fixtures.passengers(1)[0]
            let now = fixtures.clock.now()
            let scope = IdempotencyScope(client: "booking:ABC123", route: "/hold", key: "same")
            let results = try await withThrowingTaskGroup(of: IdempotentRun.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await store.runIdempotently(scope, requestHash: "h", at: now) {
                            let hold = try await store.placeHold(flightID: FlightID("SH100")!, seatID: SeatID("12A")!,
                                                                 passengerID: passenger, at: now, duration: 120)
                            return IdempotentAnswer(response: StoredResponse(status: 201, contentType: "application/json",
                                                                             body: Data(hold.id.uuidString.utf8)), keep: true)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let performed = results.filter { if case .performed = $0 { true } else { false } }
            #expect(performed.count == 1)
            #expect(try await store.events(of: FlightID("SH100")!).filter { $0.kind == .hold(.placed) }.count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func theHistoryIsAppendOnlyAndReplaysToTheSeatMap(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(12)
            let seats = try AircraftLayout.builtIn["A320"]!.seats().map(\.id)
            var generator = SystemRandomNumberGenerator()
            var holds: [Hold] = []
            for _ in 0..<80 {
                let passenger = passengers.randomElement(using: &generator)!
                switch Int.random(in: 0..<4, using: &generator) {
                case 0, 1:
                    if let hold = try? await store.placeHold(
                        flightID: FlightID("SH100")!, seatID: seats.randomElement(using: &generator)!,
                        passengerID: passenger, at: fixtures.clock.now(), duration: 120) { holds.append(hold) }
                case 2:
                    if let hold = holds.randomElement(using: &generator) {
                        _ = try? await store.confirmHold(hold.id, by: hold.passengerID, at: fixtures.clock.now())
                    }
                default:
                    if let hold = holds.randomElement(using: &generator) {
                        _ = try? await store.cancelHold(hold.id, by: hold.passengerID, at: fixtures.clock.now())
                    }
                }
                fixtures.clock.advance(by: 7)
            }
            _ = try await store.expireHolds(at: fixtures.clock.now(), limit: 1000)
            let events = try await store.events(of: FlightID("SH100")!)
            let map = try #require(try await settledSeatMap(store, FlightID("SH100")!, at: fixtures.clock.now(),
                                                            reaching: events.compactMap(\.version).max() ?? 0))
            let replayed = SeatHistoryReplay.seatStates(events)
            for seat in seats {
                #expect((replayed[seat] ?? .available) == map.state(of: seat), "seat \(seat)")
            }
            // Versions never go down along the history, grow with each transaction, and end at the
            // seat map's version (gapless where one writer at a time counts them: SQLite).
            let versions = events.compactMap(\.version)
            #expect(versions == versions.sorted())
            #expect(map.version == versions.last)
            if kind == .sqlite { #expect(versions == Array(1...Int64(versions.count))) }
            await #expect(throws: (any Error).self) {
                try await store.database.run("UPDATE flight_events SET kind = 'X'", [])
            }
            await #expect(throws: (any Error).self) {
                try await store.database.run("DELETE FROM flight_events", [])
            }
            #expect(try await store.events(of: FlightID("SH100")!) == events)
        }
    }
}
