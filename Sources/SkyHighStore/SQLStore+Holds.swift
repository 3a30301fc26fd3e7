import Foundation
import SkyHighCore

extension SQLStore {
    static let holdColumns = "hold_id, flight_id, seat_id, passenger_id, state, created_at, expires_at, updated_at"

    public func placeHold(flightID: FlightID, seatID: SeatID, passengerID: PassengerID,
                          at now: Date, duration: TimeInterval) async throws -> Hold {
        let holdID = ids()
        let hold = try await database.transaction { sql in
            guard let flight = try await sql.run("SELECT \(Self.flightColumns) FROM flights WHERE flight_id = $1",
                                                 [.text(flightID.rawValue)]).first?.flight()
            else { throw DomainError.flightNotFound(flightID) }
            guard try await !sql.run("SELECT 1 AS one FROM seats WHERE flight_id = $1 AND seat_id = $2",
                                     [.text(flightID.rawValue), .text(seatID.description)]).isEmpty
            else { throw DomainError.seatNotFound(flightID, seatID) }
            // A hold past its expiry no longer counts, whether or not the sweep has run: expire it
            // here so the uniqueness rule below sees the seat as free.
            let stale = try await sql.run("""
                UPDATE holds SET state = 'EXPIRED', updated_at = $3
                WHERE flight_id = $1 AND seat_id = $2 AND state = 'HELD' AND expires_at <= $3
                RETURNING \(Self.holdColumns)
                """, [.text(flightID.rawValue), .text(seatID.description), .date(now)]).holds()
            let passengerHolds = try await sql.run("""
                SELECT \(Self.holdColumns) FROM holds
                WHERE flight_id = $1 AND passenger_id = $2 AND state IN ('HELD', 'CONFIRMED')
                ORDER BY created_at\(database.dialect.lockForUpdate)
                """, [.text(flightID.rawValue), .id(passengerID)]).holds()
            let placement = try HoldRules.place(id: holdID, flight: flight, seatID: seatID, passengerID: passengerID,
                                                passengerHolds: passengerHolds, now: now, duration: duration)
            for transition in placement.transitions.dropLast() { try await apply(transition, sql) }
            let hold = placement.newHold
            do {
                try await sql.run("""
                    INSERT INTO holds (\(Self.holdColumns)) VALUES ($1, $2, $3, $4, 'HELD', $5, $6, $7)
                    """, [.id(hold.id), .text(flightID.rawValue), .text(seatID.description), .id(passengerID),
                          .date(hold.createdAt), .date(hold.expiresAt), .date(hold.updatedAt)])
            } catch SQLDriverError.uniqueViolation(let constraint) {
                throw constraint.contains("passenger") ? DomainError.concurrentChange : DomainError.seatUnavailable(seatID)
            }
            try await record(stale.map(HoldRules.sweptExpiry) + placement.transitions, flightID: flightID, at: now, sql)
            return hold
        }
        jobsEnqueued()
        signals.seatsChanged(flightID)
        return hold
    }

    public func hold(_ id: HoldID) async throws -> Hold? {
        try await database.run("SELECT \(Self.holdColumns) FROM holds WHERE hold_id = $1", [.id(id)]).first?.hold()
    }

    public func confirmHold(_ id: HoldID, by passengerID: PassengerID, at now: Date) async throws -> Hold {
        let confirmed = try await database.transaction { sql in
            let hold = try await lockedHold(id, sql)
            let previous = try await sql.run("""
                SELECT \(Self.holdColumns) FROM holds
                WHERE flight_id = $1 AND passenger_id = $2 AND state = 'CONFIRMED'\(database.dialect.lockForUpdate)
                """, [.text(hold.flightID.rawValue), .id(hold.passengerID)]).first?.hold()
            let confirmation = try HoldRules.confirm(hold, by: passengerID, previouslyConfirmed: previous, now: now)
            for transition in confirmation.transitions { try await apply(transition, sql) }
            try await record(confirmation.transitions, flightID: hold.flightID, at: now, sql)
            return confirmation.confirmed
        }
        jobsEnqueued()
        signals.seatsChanged(confirmed.flightID)
        return confirmed
    }

    public func cancelHold(_ id: HoldID, by passengerID: PassengerID, at now: Date) async throws -> Hold {
        let cancelled = try await database.transaction { sql in
            let hold = try await lockedHold(id, sql)
            guard let flight = try await self.flight(hold.flightID, sql) else { throw DomainError.flightNotFound(hold.flightID) }
            let transition = try HoldRules.cancel(hold, by: passengerID, flight: flight, now: now)
            try await apply(transition, sql)
            try await record([transition], flightID: hold.flightID, at: now, sql)
            return transition.hold
        }
        jobsEnqueued()
        signals.seatsChanged(cancelled.flightID)
        return cancelled
    }

    public func expireHolds(at now: Date, limit: Int) async throws -> [Hold] {
        let expired = try await database.transaction { sql in
            let expired = try await sql.run("""
                UPDATE holds SET state = 'EXPIRED', updated_at = $1
                WHERE hold_id IN (
                    SELECT hold_id FROM holds WHERE state = 'HELD' AND expires_at <= $1
                    ORDER BY expires_at LIMIT $2\(database.dialect.claimUnlocked))
                RETURNING \(Self.holdColumns)
                """, [.date(now), .int(Int64(limit))]).holds()
            // Flights in a fixed order, so two sweepers never wait on each other's flight rows.
            let byFlight = Dictionary(grouping: expired, by: \.flightID)
            for flightID in byFlight.keys.sorted() {
                try await record(byFlight[flightID, default: []].map(HoldRules.sweptExpiry), flightID: flightID, at: now, sql)
            }
            return expired
        }
        if !expired.isEmpty { jobsEnqueued() }
        Set(expired.map(\.flightID)).forEach(signals.seatsChanged)
        return expired
    }

    public func nextHoldExpiry() async throws -> Date? {
        try await database.run("SELECT MIN(expires_at) AS next FROM holds WHERE state = 'HELD'", [])
            .first?.optionalDate("next")
    }

    // MARK: - Steps shared by the transactions above

    func lockedHold(_ id: HoldID, _ sql: any SQLExecutor) async throws -> Hold {
        guard let hold = try await sql.run("""
            SELECT \(Self.holdColumns) FROM holds WHERE hold_id = $1\(database.dialect.lockForUpdate)
            """, [.id(id)]).first?.hold()
        else { throw DomainError.holdNotFound(id) }
        return hold
    }

    func flight(_ id: FlightID, _ sql: any SQLExecutor) async throws -> Flight? {
        try await sql.run("SELECT \(Self.flightColumns) FROM flights WHERE flight_id = $1", [.text(id.rawValue)])
            .first?.flight()
    }

    /// Writes one transition as a conditional update: it applies only if the hold is still in
    /// the state the decision was made on.
    func apply(_ transition: HoldTransition, _ sql: any SQLExecutor) async throws {
        let hold = transition.hold
        let changed = try await sql.run("""
            UPDATE holds SET state = $2, updated_at = $3 WHERE hold_id = $1 AND state = $4 RETURNING hold_id
            """, [.id(hold.id), .text(hold.state.rawValue), .date(hold.updatedAt), .optional(transition.from?.rawValue)])
        guard !changed.isEmpty else { throw DomainError.concurrentChange }
    }

    /// Appends the transitions to the flight's history, each with the seat-map version it
    /// produces, and enqueues what must follow them: a freed seat is offered to the waitlist, an
    /// expired hold is reported to its passenger. Bumping the version locks the flight row, so on
    /// PostgreSQL this is the last step of every transaction that changes seats.
    func record(_ transitions: [HoldTransition], flightID: FlightID, at now: Date, _ sql: any SQLExecutor) async throws {
        guard !transitions.isEmpty else { return }
        for transition in transitions where transition.freesSeat {
            try await enqueue(NewJob(OfferSeatPayload(flightID: flightID, seatID: transition.hold.seatID)), at: now, sql)
            if transition.kind == .expired {
                try await notify(transition.hold.passengerID, on: flightID, kind: "HOLD_EXPIRED",
                                 body: ["seatId": transition.hold.seatID.description, "holdId": transition.hold.id.uuidString.lowercased()],
                                 at: now, sql)
            }
        }
        try await reopenCheckIns(after: transitions, flightID: flightID, at: now, sql)
        try await sql.announce(.seats, payload: flightID.rawValue, database.dialect)
        guard let last = try await sql.run("""
            UPDATE flights SET version = version + $2 WHERE flight_id = $1 RETURNING version
            """, [.text(flightID.rawValue), .int(Int64(transitions.count))]).first?.int("version")
        else { throw DomainError.flightNotFound(flightID) }
        try await appendEvents(transitions.enumerated().map { index, transition in
            let hold = transition.hold
            return EventRecord(flightID: flightID, kind: transition.kind.rawValue, seatID: hold.seatID, holdID: hold.id,
                               passengerID: hold.passengerID, actor: transition.actor, from: transition.from?.rawValue,
                               to: hold.state.rawValue, version: last - Int64(transitions.count - 1 - index))
        }, at: now, sql)
    }
}
