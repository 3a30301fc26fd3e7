import Foundation
import SkyHighCore

extension SQLStore {
    static let flightColumns = "flight_id, flight_number, origin, destination, departure_time, aircraft_type"

    public func createFlight(_ flight: Flight, seats: [Seat], at now: Date) async throws -> Flight {
        try await transaction { sql in
            do {
                try await sql.run("""
                    INSERT INTO flights (\(raw: Self.flightColumns), version, created_at)
                    VALUES (\(flight.id), \(flight.flightNumber), \(flight.origin), \(flight.destination),
                            \(flight.departureTime), \(flight.aircraftType), 0, \(now))
                    """)
            } catch SQLDriverError.uniqueViolation {
                throw DomainError.flightExists(flight.id)
            }
            // Inserted in chunks to stay well inside every driver's bind-parameter limit.
            for (chunkIndex, chunk) in stride(from: 0, to: seats.count, by: 200).enumerated() {
                let slice = seats[chunk..<min(chunk + 200, seats.count)]
                try await sql.run("""
                    INSERT INTO seats (flight_id, seat_id, position, cabin, characteristics)
                    VALUES \(rows: slice.enumerated().map { offset, seat in
                        [.text(flight.id.rawValue), .text(seat.id.description), .int(Int64(chunkIndex * 200 + offset)),
                         .text(seat.cabin.rawValue), .text(seat.characteristics.map(\.rawValue).joined(separator: ","))]
                    })
                    """)
            }
            try await enqueue(NewJob(CloseWaitlistPayload(flightID: flight.id), runAt: WaitlistRules.closes(flight, closeBefore: checkinCloses)),
                              at: now, sql)
            return flight
        }
    }

    public func flight(_ id: FlightID) async throws -> Flight? {
        try await run("SELECT \(raw: Self.flightColumns) FROM flights WHERE flight_id = \(id.rawValue)").first?.flight()
    }

    public func seatMap(_ id: FlightID, at now: Date) async throws -> SeatMap? {
        // One statement, so the version and the seat states come from one snapshot.
        let rows = try await run("""
            SELECT \(raw: database.dialect.seatVersions.flightVersion) AS version, s.seat_id, s.cabin, s.characteristics, h.state, h.expires_at
            FROM flights f
            JOIN seats s ON s.flight_id = f.flight_id
            LEFT JOIN holds h ON h.flight_id = s.flight_id AND h.seat_id = s.seat_id
                AND (h.state = 'CONFIRMED' OR (h.state = 'HELD' AND h.expires_at > \(now)))
            WHERE f.flight_id = \(id.rawValue)
            ORDER BY s.position
            """)
        guard let first = rows.first else { return nil }
        var seats: [Seat] = []
        var live: [SeatID: SeatState] = [:]
        var nextExpiry: Date?
        seats.reserveCapacity(rows.count)
        for row in rows {
            let seat = try row.seat()
            let seatID = seat.id
            seats.append(seat)
            if let state = try row.optionalString("state").flatMap(HoldState.init(rawValue:)) {
                live[seatID] = state.seatState
                if state == .held, let expiry = try row.optionalDate("expires_at") {
                    nextExpiry = min(nextExpiry ?? expiry, expiry)
                }
            }
        }
        return SeatMap(flightID: id, version: try first.int("version"), seats: seats, live: live, nextExpiry: nextExpiry)
    }

    public func seat(_ id: SeatID, on flightID: FlightID) async throws -> Seat? {
        try await run("SELECT seat_id, cabin, characteristics FROM seats WHERE flight_id = \(flightID.rawValue) AND seat_id = \(id.description)").first?.seat()
    }

    public func seatEvents(of id: FlightID, afterVersion version: Int64, limit: Int) async throws -> SeatEventBatch {
        let rows = try await run("""
            SELECT \(raw: Self.eventColumns), CASE WHEN version < \(raw: database.dialect.seatVersions.settled) THEN 1 ELSE 0 END AS final
            FROM flight_events
            WHERE flight_id = \(id.rawValue) AND version > \(version) AND version IN (
                SELECT DISTINCT version FROM flight_events WHERE flight_id = \(id.rawValue) AND version > \(version) ORDER BY version LIMIT \(Int64(limit)))
            ORDER BY version, sequence
            """)
        // Final versions all lie below the ones still pending.
        let final = try rows.prefix(while: { try $0.int("final") == 1 })
        return SeatEventBatch(events: try final.map { try $0.flightEvent() }, pending: final.count < rows.count)
    }

    public func flightVersions(_ ids: [FlightID]) async throws -> [FlightID: Int64] {
        guard !ids.isEmpty else { return [:] }
        var versions: [FlightID: Int64] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            let slice = Array(ids[chunk..<min(chunk + 500, ids.count)])
            for row in try await run("""
                SELECT f.flight_id, \(raw: database.dialect.seatVersions.flightVersion) AS version
                FROM flights f WHERE f.flight_id IN (\(list: slice.map { .text($0.rawValue) }))
                """) {
                versions[try row.flightID("flight_id")] = try row.int("version")
            }
        }
        return versions
    }

    public func upcomingFlights(after now: Date, limit: Int) async throws -> [FlightID] {
        try await run("""
            SELECT flight_id FROM flights WHERE departure_time > \(now) ORDER BY departure_time, flight_id LIMIT \(Int64(limit))
            """).map { try $0.flightID("flight_id") }
    }

    public func events(of id: FlightID) async throws -> [FlightEvent] {
        try await run("""
            SELECT \(raw: Self.eventColumns) FROM flight_events WHERE flight_id = \(id.rawValue) ORDER BY sequence
            """).map { try $0.flightEvent() }
    }
}

extension SQLRow {
    func flightEvent() throws -> FlightEvent {
        FlightEvent(sequence: try int("sequence"), flightID: try flightID("flight_id"), kind: try parsed("kind", FlightEventKind.init(rawValue:), expected: "an event kind"),
                    seatID: try optionalString("seat_id").flatMap(SeatID.init), holdID: try optionalUUID("hold_id"),
                    passengerID: try optionalUUID("passenger_id"), waitlistID: try optionalUUID("waitlist_id"),
                    checkinID: try optionalUUID("checkin_id"), actor: EventActor(try string("actor")), fromState: try optionalString("from_state"),
                    toState: try optionalString("to_state"), version: try optionalInt("version"),
                    at: try date("at"), detail: try optionalString("detail"))
    }
}
