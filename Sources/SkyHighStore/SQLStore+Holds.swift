import Foundation
import SkyHighCore

extension SQLStore {
    static let holdColumns = "hold_id, flight_id, seat_id, passenger_id, state, created_at, expires_at, updated_at"

    public func placeHold(flightID: FlightID, seatID: SeatID, passengerID: PassengerID,
                          at now: Date, duration: TimeInterval) async throws -> Hold {
        let holdID = ids()
        if let fast = seatWrites {
            let planned = Hold(id: holdID, flightID: flightID, seatID: seatID, passengerID: passengerID, state: .held,
                               createdAt: now, expiresAt: (now + duration).truncatedToMilliseconds, updatedAt: now)
            let written: [SQLRow]
            do {
                written = try await fast.placeHold(planned, attempts: jobAttempts, requestID: RequestTrace.id)
            } catch SQLDriverError.uniqueViolation(let constraint) {
                throw Self.holdConflict(constraint, seatID)
            }
            if let hold = try settle(written, flightID: flightID, seatID: seatID, holdID: holdID) { return hold }
        }
        let hold = try await transaction { sql in
            guard let flight = try await sql.run("SELECT \(raw: Self.flightColumns) FROM flights WHERE flight_id = \(flightID.rawValue)").first?.flight()
            else { throw DomainError.flightNotFound(flightID) }
            guard try await !sql.run("SELECT 1 AS one FROM seats WHERE flight_id = \(flightID.rawValue) AND seat_id = \(seatID.description)").isEmpty
            else { throw DomainError.seatNotFound(flightID, seatID) }
            // A hold past its expiry no longer counts, whether or not the sweep has run: expire it
            // here so the uniqueness rule below sees the seat as free.
            let stale = try await sql.run("""
                UPDATE holds SET state = 'EXPIRED', updated_at = \(now)
                WHERE flight_id = \(flightID.rawValue) AND seat_id = \(seatID.description) AND state = 'HELD' AND expires_at <= \(now)
                RETURNING \(raw: Self.holdColumns)
                """).holds()
            let passengerHolds = try await sql.run("""
                SELECT \(raw: Self.holdColumns) FROM holds
                WHERE flight_id = \(flightID.rawValue) AND passenger_id = \(passengerID) AND state IN ('HELD', 'CONFIRMED')
                ORDER BY created_at\(raw: database.dialect.lockForUpdate)
                """).holds()
            let placement = try HoldRules.place(id: holdID, flight: flight, seatID: seatID, passengerID: passengerID,
                                                passengerHolds: passengerHolds, now: now, duration: duration)
            for transition in placement.transitions.dropLast() { try await apply(transition, sql) }
            let hold = placement.newHold
            do {
                try await sql.run("""
                    INSERT INTO holds (\(raw: Self.holdColumns)) VALUES (\(hold.id), \(flightID.rawValue), \(seatID.description), \(passengerID), 'HELD', \(hold.createdAt), \(hold.expiresAt), \(hold.updatedAt))
                    """)
            } catch SQLDriverError.uniqueViolation(let constraint) {
                throw Self.holdConflict(constraint, seatID)
            }
            try await record(stale.map(HoldRules.sweptExpiry) + placement.transitions, flightID: flightID, at: now, sql)
            return hold
        }
        jobsEnqueued()
        seatsChanged(flightID)
        return hold
    }

    public func hold(_ id: HoldID) async throws -> Hold? {
        try await run("SELECT \(raw: Self.holdColumns) FROM holds WHERE hold_id = \(id)").first?.hold()
    }

    public func confirmHold(_ id: HoldID, byOneOf passengers: [PassengerID], at now: Date) async throws -> Hold {
        if let hold = try await inOneRoundTrip(holdID: id, { fast in
            try await fast.confirmHold(id, passengers: passengers, at: now, attempts: jobAttempts, requestID: RequestTrace.id)
        }) {
            return hold
        }
        let confirmed = try await transaction { sql in
            let hold = try await lockedHold(id, sql)
            guard passengers.contains(hold.passengerID) else { throw DomainError.notYourBooking }
            let previous = try await sql.run("""
                SELECT \(raw: Self.holdColumns) FROM holds
                WHERE flight_id = \(hold.flightID.rawValue) AND passenger_id = \(hold.passengerID) AND state = 'CONFIRMED'\(raw: database.dialect.lockForUpdate)
                """).first?.hold()
            let confirmation = try HoldRules.confirm(hold, by: hold.passengerID, previouslyConfirmed: previous, now: now)
            for transition in confirmation.transitions { try await apply(transition, sql) }
            try await record(confirmation.transitions, flightID: hold.flightID, at: now, sql)
            return confirmation.confirmed
        }
        jobsEnqueued()
        seatsChanged(confirmed.flightID)
        return confirmed
    }

    public func cancelHold(_ id: HoldID, byOneOf passengers: [PassengerID], at now: Date) async throws -> Hold {
        if let hold = try await inOneRoundTrip(holdID: id, { fast in
            try await fast.cancelHold(id, passengers: passengers, at: now, attempts: jobAttempts, requestID: RequestTrace.id)
        }) {
            return hold
        }
        let cancelled = try await transaction { sql in
            let hold = try await lockedHold(id, sql)
            guard passengers.contains(hold.passengerID) else { throw DomainError.notYourBooking }
            guard let flight = try await self.flight(hold.flightID, sql) else { throw DomainError.flightNotFound(hold.flightID) }
            let transition = try HoldRules.cancel(hold, by: hold.passengerID, flight: flight, now: now)
            try await apply(transition, sql)
            try await record([transition], flightID: hold.flightID, at: now, sql)
            return transition.hold
        }
        jobsEnqueued()
        seatsChanged(cancelled.flightID)
        return cancelled
    }

    /// A confirm or cancel made by the database's one-round-trip function, where it has one:
    /// the hold, or `nil` for the general path (no such function, or it answered `fallback`).
    private func inOneRoundTrip(holdID: HoldID,
                                _ write: (any SeatWriteProcedures) async throws -> [SQLRow]) async throws -> Hold? {
        guard let fast = seatWrites else { return nil }
        return try settle(try await write(fast), holdID: holdID)
    }

    /// The hold a one-round-trip write made, after telling this process what changed; the
    /// refusal it reported as the ``DomainError`` the rules give; `nil` to take the general path.
    private func settle(_ rows: [SQLRow], flightID: FlightID? = nil, seatID: SeatID? = nil,
                        holdID: HoldID) throws -> Hold? {
        guard let outcome = try rows.last?.string("outcome") else {
            throw SQLRowError(column: "outcome", expected: "the answer of a seat write")
        }
        let subject = try rows.last?.optionalString("hold_id") == nil ? nil : rows.last?.hold()
        // What the refusal is about: the request's flight and seat, else the hold's.
        func about<Value>(_ asked: Value?, _ held: (Hold) -> Value) throws -> Value {
            guard let value = asked ?? subject.map(held) else {
                throw SQLRowError(column: "hold_id", expected: "the hold of a \(outcome) answer")
            }
            return value
        }
        switch outcome {
        case "placed", "confirmed", "cancelled":
            let hold = try about(nil) { $0 }
            jobsEnqueued()
            seatsChanged(hold.flightID)
            return hold
        case "fallback": return nil
        case "flight-not-found": throw DomainError.flightNotFound(try about(flightID, \.flightID))
        case "flight-departed": throw DomainError.flightDeparted(try about(flightID, \.flightID))
        case "seat-not-found": throw DomainError.seatNotFound(try about(flightID, \.flightID), try about(seatID, \.seatID))
        case "already-holding": throw DomainError.alreadyHoldingSeat(try about(seatID, \.seatID))
        case "seat-unavailable": throw DomainError.seatUnavailable(try about(seatID, \.seatID))
        case "hold-not-found": throw DomainError.holdNotFound(holdID)
        case "not-yours": throw DomainError.notYourBooking
        case "hold-expired": throw DomainError.holdExpired(holdID)
        case "hold-not-held": throw DomainError.holdNotHeld(try about(nil, \.state))
        case "hold-not-active": throw DomainError.holdNotActive(try about(nil, \.state))
        default: throw SQLRowError(column: "outcome", expected: "a known seat-write outcome, not \(outcome)")
        }
    }

    /// The rule a unique index applied when it refused a new hold.
    static func holdConflict(_ constraint: String, _ seatID: SeatID) -> DomainError {
        constraint.contains("passenger") ? .concurrentChange : .seatUnavailable(seatID)
    }

    public func expireHolds(at now: Date, limit: Int) async throws -> [Hold] {
        if let fast = seatWrites {
            let expired = try await fast.expireHolds(at: now, limit: limit, attempts: jobAttempts,
                                                     requestID: RequestTrace.id).holds()
            if !expired.isEmpty { jobsEnqueued() }
            Set(expired.map(\.flightID)).forEach(seatsChanged)
            return expired
        }
        let expired = try await transaction { sql in
            let expired = try await sql.run("""
                UPDATE holds SET state = 'EXPIRED', updated_at = \(now)
                WHERE hold_id IN (
                    SELECT hold_id FROM holds WHERE state = 'HELD' AND expires_at <= \(now)
                    ORDER BY expires_at LIMIT \(Int64(limit))\(raw: database.dialect.claimUnlocked))
                RETURNING \(raw: Self.holdColumns)
                """).holds()
            // Flights in a fixed order, so two sweepers never wait on each other's flight rows.
            let byFlight = Dictionary(grouping: expired, by: \.flightID)
            for flightID in byFlight.keys.sorted() {
                try await record(byFlight[flightID, default: []].map(HoldRules.sweptExpiry), flightID: flightID, at: now, sql)
            }
            return expired
        }
        if !expired.isEmpty { jobsEnqueued() }
        Set(expired.map(\.flightID)).forEach(seatsChanged)
        return expired
    }

    public func nextHoldExpiry() async throws -> Date? {
        try await run("SELECT MIN(expires_at) AS next FROM holds WHERE state = 'HELD'")
            .first?.optionalDate("next")
    }

    // MARK: - Steps shared by the transactions above

    func lockedHold(_ id: HoldID, _ sql: any SQLExecutor) async throws -> Hold {
        guard let hold = try await sql.run("""
            SELECT \(raw: Self.holdColumns) FROM holds WHERE hold_id = \(id)\(raw: database.dialect.lockForUpdate)
            """).first?.hold()
        else { throw DomainError.holdNotFound(id) }
        return hold
    }

    func flight(_ id: FlightID, _ sql: any SQLExecutor) async throws -> Flight? {
        try await sql.run("SELECT \(raw: Self.flightColumns) FROM flights WHERE flight_id = \(id.rawValue)")
            .first?.flight()
    }

    /// Writes one transition as a conditional update: it applies only if the hold is still in
    /// the state the decision was made on.
    func apply(_ transition: HoldTransition, _ sql: any SQLExecutor) async throws {
        let hold = transition.hold
        let changed = try await sql.run("""
            UPDATE holds SET state = \(hold.state.rawValue), updated_at = \(hold.updatedAt) WHERE hold_id = \(hold.id) AND state = \(transition.from?.rawValue) RETURNING hold_id
            """)
        guard !changed.isEmpty else { throw DomainError.concurrentChange }
    }

    /// Appends the transitions to the flight's history, each with the seat-map version it
    /// produces, and enqueues what must follow them: a freed seat is offered to the waitlist, an
    /// expired hold is reported to its passenger.
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
        let versions = try await seatVersions(transitions.count, flightID: flightID, sql)
        try await appendEvents(zip(transitions, versions).map { transition, version in
            let hold = transition.hold
            return EventRecord(flightID: flightID, kind: .hold(transition.kind), seatID: hold.seatID, holdID: hold.id,
                               passengerID: hold.passengerID, actor: transition.actor, from: transition.from?.rawValue,
                               to: hold.state.rawValue, version: version)
        }, at: now, sql)
    }

    /// The versions of `count` seat changes of the flight made by this transaction, in order.
    func seatVersions(_ count: Int, flightID: FlightID, _ sql: any SQLExecutor) async throws -> [Int64] {
        switch database.dialect.seatVersions {
        case .flightCounter:
            // Locks the flight's row: only with one writer at a time.
            guard let last = try await sql.run("""
                UPDATE flights SET version = version + \(Int64(count)) WHERE flight_id = \(flightID.rawValue) RETURNING version
                """).first?.int("version")
            else { throw DomainError.flightNotFound(flightID) }
            return (0..<count).map { last - Int64(count - 1 - $0) }
        case .transactionID:
            guard let version = try await sql.run("SELECT skyhigh_transaction_version() AS version")
                .first?.int("version")
            else { throw SQLRowError(column: "version", expected: "the transaction's id") }
            return Array(repeating: version, count: count)
        }
    }
}
