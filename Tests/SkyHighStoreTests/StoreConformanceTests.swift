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
            #expect(try await store.claim(scope, requestHash: "h1", at: now) == .claimed)
            #expect(try await store.claim(scope, requestHash: "h1", at: now) == .inProgress)
            #expect(try await store.claim(scope, requestHash: "h2", at: now) == .mismatch)
            let response = StoredResponse(status: 201, contentType: "application/json", body: Data("{\"a\":1}".utf8),
                                          location: "/holds/1")
            try await store.complete(scope, response: response)
            #expect(try await store.claim(scope, requestHash: "h1", at: now) == .replay(response))
            #expect(try await store.claim(scope, requestHash: "h2", at: now) == .mismatch)
            // Same key, other client or other route: independent.
            let otherClient = IdempotencyScope(client: "booking:XYZ789", route: scope.route, key: "k1")
            #expect(try await store.claim(otherClient, requestHash: "h2", at: now) == .claimed)
            // An abandoned claim can be claimed again; a stale one is taken over.
            try await store.abandon(otherClient)
            #expect(try await store.claim(otherClient, requestHash: "h3", at: now) == .claimed)
            #expect(try await store.claim(otherClient, requestHash: "h3", at: now + 61) == .claimed)
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
