import Foundation
import SkyHighCore
import SkyHighStore
import SkyHighTestSupport
import Testing

/// Seat writes on one flight under concurrency: they never wait for each other through a shared
/// row, the versions readers follow never skip a committed change, and expiry follows the store's
/// clock. Each test runs on SQLite and, when configured, PostgreSQL.
@Suite struct SeatWriteConcurrencyTests {
    static let flight = FlightID("SH100")!

    /// Many writers hold, confirm and cancel seats of one flight while a reader follows the
    /// changes by version, dropping and resuming from its last version as a client with
    /// `Last-Event-ID` would. At the end the reader has seen exactly every change in the history.
    @Test(arguments: StoreKind.available)
    func aReaderThatResumesByVersionNeverMissesACommittedChange(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(24)
            let seats = Array(try AircraftLayout.builtIn["A320"]!.seats().map(\.id).prefix(12))
            let now = fixtures.clock.now()
            let writersDone = Observed<Int>()
            let seen = try await withThrowingTaskGroup(of: [FlightEvent].self) { group in
                for (index, passenger) in passengers.enumerated() {
                    group.addTask {
                        for round in 0..<8 {
                            let seat = seats[(index + round) % seats.count]
                            if let hold = try? await store.placeHold(flightID: Self.flight, seatID: seat, passengerID: passenger,
                                                                     at: now, duration: 120) {
                                if round % 3 == 0 { _ = try? await store.confirmHold(hold.id, by: passenger, at: now) }
                                if round % 2 == 0 { _ = try? await store.cancelHold(hold.id, by: passenger, at: now) }
                            }
                        }
                        writersDone.report(index)
                        return []
                    }
                }
                group.addTask {
                    var cursor: Int64 = 0
                    var seen: [FlightEvent] = []
                    var finishing = false
                    // Reads in small pages (a reconnect after each), until the writers are done and
                    // nothing is pending any more.
                    while true {
                        let batch = try await store.seatEvents(of: Self.flight, afterVersion: cursor, limit: 3)
                        seen += batch.events
                        cursor = batch.events.last?.version ?? cursor
                        if batch.events.isEmpty && !batch.pending {
                            if finishing { break }
                            finishing = writersDone.all.count == passengers.count
                            if !finishing { await writersDone.wait(within: .milliseconds(5)) { _ in false } }
                        }
                    }
                    return seen
                }
                var seen: [FlightEvent] = []
                for try await events in group { seen += events }
                return seen
            }
            let history = try await store.events(of: Self.flight).filter { $0.version != nil }
            #expect(!history.isEmpty)
            #expect(seen.map(\.sequence).sorted() == history.map(\.sequence).sorted())
            #expect(seen.compactMap(\.version) == seen.compactMap(\.version).sorted())
        }
    }

    /// A transaction that holds the flight's row for update does not stop holds, confirmations
    /// and cancellations on the flight: no seat write touches that row. (On SQLite, with its one
    /// writer at a time, the question does not arise.)
    @Test func seatWritesDoNotWaitForTheFlightRow() async throws {
        guard StoreKind.available.contains(.postgres) else { return }
        try await withStore(.postgres) { store in
            let fixtures = Fixtures(store: store)
            try await fixtures.flight()
            let passenger = try await fixtures.passengers(1)[0]
            let now = fixtures.clock.now()
            let done = try await store.database.transaction { sql in
                try await sql.run("UPDATE flights SET checkin_sequence = checkin_sequence WHERE flight_id = $1",
                                  [.text(Self.flight.rawValue)])
                return try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        let first = try await store.placeHold(flightID: Self.flight, seatID: SeatID("12A")!,
                                                              passengerID: passenger, at: now, duration: 120)
                        let second = try await store.placeHold(flightID: Self.flight, seatID: SeatID("12B")!,
                                                               passengerID: passenger, at: now, duration: 120)
                        _ = try await store.confirmHold(second.id, by: passenger, at: now)
                        _ = try await store.cancelHold(second.id, by: passenger, at: now)
                        return try await store.hold(first.id)?.state == .cancelled
                    }
                    group.addTask {
                        await WakeSignal().wait(upTo: .seconds(20))
                        return false
                    }
                    let first = try await group.next() ?? false
                    group.cancelAll()
                    return first
                }
            }
            #expect(done, "seat writes waited for the flight's row")
        }
    }

    /// Two instances whose own clocks are 30 s apart agree on the time once calibrated against
    /// the store, and so on a hold's `expiresAt`.
    @Test func instancesWithSkewedClocksAgreeOnTheStoresTime() async throws {
        guard StoreKind.available.contains(.postgres) else { return }
        try await withStore(.postgres) { store in
            let slow = StoreAlignedClock(local: ManualClock(Date()))
            let fast = StoreAlignedClock(local: ManualClock(Date() + 30))
            #expect(fast.now().timeIntervalSince(slow.now()) > 25)
            try await slow.calibrate { try await store.storeTime() }
            try await fast.calibrate { try await store.storeTime() }
            // Without calibration they differ by 30 s; with it, by the time between the two
            // readings of the store's clock.
            #expect(abs(fast.now().timeIntervalSince(slow.now())) < 5)
            let fixtures = Fixtures(store: store, clock: ManualClock(slow.now()))
            try await fixtures.flight()
            let passengers = try await fixtures.passengers(2)
            let one = try await store.placeHold(flightID: Self.flight, seatID: SeatID("12A")!, passengerID: passengers[0],
                                                at: slow.now(), duration: 120)
            let other = try await store.placeHold(flightID: Self.flight, seatID: SeatID("12B")!,
                                                  passengerID: passengers[1], at: fast.now(), duration: 120)
            #expect(abs(one.expiresAt.timeIntervalSince(other.expiresAt)) < 5)
        }
    }
}
