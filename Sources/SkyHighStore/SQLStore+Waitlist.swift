import Foundation
import SkyHighCore

extension SQLStore {
    static let waitlistColumns = """
        sequence, waitlist_id, flight_id, passenger_id, cabin, seat_type, seats, priority_rank, state, seat_id, hold_id,
        joined_at, updated_at
        """

    public func joinWaitlist(flightID: FlightID, passengerID: PassengerID, preferences: SeatPreferences,
                             at now: Date) async throws -> WaitlistEntry {
        let id = ids()
        do {
            try await join(id, flightID: flightID, passengerID: passengerID, preferences: preferences, at: now)
        } catch DomainError.alreadyWaiting(id) {
            let existing = try await run("""
                SELECT waitlist_id FROM waitlist_entries WHERE flight_id = \(flightID.rawValue) AND passenger_id = \(passengerID) AND state = 'WAITING'
                """).first?.uuid("waitlist_id")
            throw DomainError.alreadyWaiting(existing ?? id)
        }
        jobsEnqueued()
        seatsChanged(flightID)
        guard let entry = try await waitlistEntry(id) else { throw DomainError.waitlistEntryNotFound(id) }
        return entry
    }

    private func join(_ id: UUID, flightID: FlightID, passengerID: PassengerID, preferences: SeatPreferences,
                      at now: Date) async throws {
        try await transaction { sql in
            guard let flight = try await sql.run("SELECT \(raw: Self.flightColumns) FROM flights WHERE flight_id = \(flightID.rawValue)").first?.flight()
            else { throw DomainError.flightNotFound(flightID) }
            guard !WaitlistRules.isClosed(flight, at: now, closeBefore: checkinCloses) else {
                throw DomainError.waitlistClosed(flightID)
            }
            let seats = try await self.seats(of: flightID, sql)
            let preferences = try preferences.validated(against: seats)
            let tier = try await sql.run("SELECT priority_tier FROM passengers WHERE passenger_id = \(passengerID)")
                .first.flatMap { try $0.optionalString("priority_tier") }.flatMap(PriorityTier.init(rawValue:))
            do {
                try await sql.run("""
                    INSERT INTO waitlist_entries (waitlist_id, flight_id, passenger_id, cabin, seat_type, seats, priority_rank,
                                                  state, joined_at, updated_at)
                    VALUES (\(id), \(flightID.rawValue), \(passengerID), \(preferences.cabin?.rawValue), \(preferences.seatType.rawValue), \(preferences.seats.map(\.description).joined(separator: ",")), \(Int64(tier?.rank ?? PriorityTier.noTierRank)), 'WAITING', \(now), \(now))
                    """)
            } catch SQLDriverError.uniqueViolation {
                // The transaction is void now (PostgreSQL): the existing entry is looked up after it.
                throw DomainError.alreadyWaiting(id)
            }
            try await appendEvents([EventRecord(flightID: flightID, kind: .waitlist(.joined), passengerID: passengerID,
                                                waitlistID: id, actor: .passenger(passengerID), to: WaitlistState.waiting.rawValue,
                                                detail: JSONEncoder.payload(preferences))], at: now, sql)
            // A matching seat that is free now is offered at once, to whoever is first in line for it.
            var (free, transitions) = try await availableSeats(of: flightID, among: seats, at: now, sql)
            for seat in free where preferences.mismatch(seat) == nil {
                guard let offered = try await offer(seat, on: flight, at: now, sql) else { continue }
                transitions += offered.transitions
                if offered.winner.id == id { break }
            }
            try await record(transitions, flightID: flightID, at: now, sql)
        }
    }

    public func waitlistEntry(_ id: UUID) async throws -> WaitlistEntry? {
        try await run("SELECT \(raw: Self.waitlistColumns) FROM waitlist_entries WHERE waitlist_id = \(id)")
            .first?.waitlistEntry()
    }

    public func waitlistPosition(of entry: WaitlistEntry) async throws -> Int? {
        guard entry.state == .waiting else { return nil }
        let waiting = try await run("""
            SELECT \(raw: Self.waitlistColumns) FROM waitlist_entries WHERE flight_id = \(entry.flightID.rawValue) AND state = 'WAITING'
            """).map { try $0.waitlistEntry() }
        return WaitlistRules.position(of: entry, among: waiting)
    }

    public func leaveWaitlist(_ id: UUID, by passengerID: PassengerID, at now: Date) async throws -> WaitlistEntry {
        try await transaction { sql in
            guard let entry = try await sql.run("""
                SELECT \(raw: Self.waitlistColumns) FROM waitlist_entries WHERE waitlist_id = \(id)\(raw: database.dialect.lockForUpdate)
                """).first?.waitlistEntry()
            else { throw DomainError.waitlistEntryNotFound(id) }
            let left = try WaitlistRules.leave(entry, by: passengerID, at: now)
            try await update(left, from: entry.state, sql)
            try await appendEvents([EventRecord(flightID: entry.flightID, kind: .waitlist(.left), passengerID: passengerID,
                                                waitlistID: id, actor: .passenger(passengerID), from: entry.state.rawValue,
                                                to: left.state.rawValue)], at: now, sql)
            return left
        }
    }

    public func offerSeat(flightID: FlightID, seatID: SeatID, at now: Date) async throws -> WaitlistEntry? {
        // Nobody waiting (most freed seats, at a peak): nothing to offer, nothing written. Whoever
        // joins later sees the seat free when they join.
        guard try await !run("""
            SELECT 1 AS waiting FROM waitlist_entries WHERE flight_id = \(flightID.rawValue) AND state = 'WAITING' LIMIT 1
            """).isEmpty
        else { return nil }
        let winner = try await transaction { sql -> WaitlistEntry? in
            guard let flight = try await sql.run("SELECT \(raw: Self.flightColumns) FROM flights WHERE flight_id = \(flightID.rawValue)").first?.flight(),
                  let seat = try await seats(of: flightID, sql).first(where: { $0.id == seatID })
            else { return nil }
            let (free, expired) = try await availableSeats(of: flightID, among: [seat], at: now, sql)
            let offered = free.isEmpty ? nil : try await offer(seat, on: flight, at: now, sql)
            try await record(expired + (offered?.transitions ?? []), flightID: flightID, at: now, sql)
            return offered?.winner
        }
        jobsEnqueued()
        seatsChanged(flightID)
        return winner
    }

    public func closeWaitlist(flightID: FlightID, at now: Date) async throws -> [WaitlistEntry] {
        try await transaction { sql in
            let expired = try await sql.run("""
                UPDATE waitlist_entries SET state = 'EXPIRED', updated_at = \(now) WHERE flight_id = \(flightID.rawValue) AND state = 'WAITING'
                RETURNING \(raw: Self.waitlistColumns)
                """).map { try $0.waitlistEntry() }
            try await appendEvents(expired.map {
                EventRecord(flightID: flightID, kind: .waitlist(.expired), passengerID: $0.passengerID, waitlistID: $0.id,
                            actor: .system("waitlist"), from: WaitlistState.waiting.rawValue, to: WaitlistState.expired.rawValue,
                            detail: "check-in closed")
            }, at: now, sql)
            return expired
        }
    }

    // MARK: - Steps shared by the transactions above

    /// Offers a free seat to the waitlist, in the caller's transaction: the first WAITING entry
    /// the seat suits gets it as a CONFIRMED hold. Every decision is recorded; the hold
    /// transitions are returned for the caller to record last. If a passenger's hold took the seat
    /// meanwhile (the store's uniqueness rule decides), the offer is undone and nobody gets it.
    func offer(_ seat: Seat, on flight: Flight, at now: Date,
               _ sql: any SQLExecutor) async throws -> (winner: WaitlistEntry, transitions: [HoldTransition])? {
        try await sql.run("SAVEPOINT offer_seat")
        do {
            let offered = try await offerInSavepoint(seat, on: flight, at: now, sql)
            try await sql.run("RELEASE SAVEPOINT offer_seat")
            return offered
        } catch SQLDriverError.uniqueViolation {
            try await sql.run("ROLLBACK TO SAVEPOINT offer_seat")
            return nil
        }
    }

    private func offerInSavepoint(_ seat: Seat, on flight: Flight, at now: Date,
                                  _ sql: any SQLExecutor) async throws -> (winner: WaitlistEntry, transitions: [HoldTransition])? {
        guard !WaitlistRules.isClosed(flight, at: now, closeBefore: checkinCloses), !flight.hasDeparted(at: now) else { return nil }
        // Locked in one order everywhere; the waitlist's own order is `WaitlistRules`'.
        let entries = try await sql.run("""
            SELECT \(raw: Self.waitlistColumns) FROM waitlist_entries WHERE flight_id = \(flight.id.rawValue) AND state = 'WAITING'
            ORDER BY sequence\(raw: database.dialect.lockForUpdate)
            """).map { try $0.waitlistEntry() }
        let decisions = WaitlistRules.pick(seat, from: entries)
        // Skips are kept for the entries ahead in line (the ones that may ask why), up to a bound.
        try await appendEvents(decisions.prefix(Self.recordedSkipsPerOffer).compactMap { decision in
            guard case .skipped(let reason) = decision.outcome else { return nil }
            return EventRecord(flightID: flight.id, kind: .waitlist(.skipped), seatID: seat.id,
                               passengerID: decision.entry.passengerID, waitlistID: decision.entry.id,
                               actor: .system("waitlist"), detail: reason)
        }, at: now, sql)
        guard let winner = decisions.last, winner.outcome == .assigned else { return nil }
        let passengerHolds = try await sql.run("""
            SELECT \(raw: Self.holdColumns) FROM holds
            WHERE flight_id = \(flight.id.rawValue) AND passenger_id = \(winner.entry.passengerID) AND state IN ('HELD', 'CONFIRMED')\(raw: database.dialect.lockForUpdate)
            """).holds()
        let placement = HoldRules.assignFromWaitlist(id: ids(), flightID: flight.id, seatID: seat.id,
                                                     passengerID: winner.entry.passengerID,
                                                     passengerHolds: passengerHolds, now: now)
        for transition in placement.transitions.dropLast() { try await apply(transition, sql) }
        let hold = placement.newHold
        try await sql.run("""
            INSERT INTO holds (\(raw: Self.holdColumns)) VALUES (\(hold.id), \(flight.id.rawValue), \(seat.id.description), \(hold.passengerID), 'CONFIRMED', \(hold.createdAt), \(hold.expiresAt), \(hold.updatedAt))
            """)
        let assigned = try WaitlistRules.assign(winner.entry, seat: seat.id, hold: hold.id, at: now)
        try await update(assigned, from: .waiting, sql)
        try await appendEvents([EventRecord(flightID: flight.id, kind: .waitlist(.assigned), seatID: seat.id, holdID: hold.id,
                                            passengerID: hold.passengerID, waitlistID: assigned.id, actor: .system("waitlist"),
                                            from: WaitlistState.waiting.rawValue, to: WaitlistState.assigned.rawValue)],
                               at: now, sql)
        try await notify(hold.passengerID, on: flight.id, kind: "SEAT_ASSIGNED",
                         body: ["seatId": seat.id.description, "holdId": hold.id.uuidString.lowercased(),
                                "waitlistId": assigned.id.uuidString.lowercased()], at: now, sql)
        return (assigned, placement.transitions)
    }

    static let recordedSkipsPerOffer = 20

    private func update(_ entry: WaitlistEntry, from state: WaitlistState, _ sql: any SQLExecutor) async throws {
        let changed = try await sql.run("""
            UPDATE waitlist_entries SET state = \(entry.state.rawValue), seat_id = \(entry.seatID?.description), hold_id = \(entry.holdID?.uuidString.lowercased()), updated_at = \(entry.updatedAt)
            WHERE waitlist_id = \(entry.id) AND state = \(state.rawValue) RETURNING waitlist_id
            """)
        guard !changed.isEmpty else { throw DomainError.concurrentChange }
    }

    func seats(of flightID: FlightID, _ sql: any SQLExecutor) async throws -> [Seat] {
        try await sql.run("SELECT seat_id, cabin, characteristics FROM seats WHERE flight_id = \(flightID.rawValue) ORDER BY position").map { try $0.seat() }
    }

    /// Those of `seats` with no live hold now. Lapsed HELD holds of the flight are expired on the
    /// way; their transitions are returned for the caller to record last.
    func availableSeats(of flightID: FlightID, among seats: [Seat], at now: Date,
                        _ sql: any SQLExecutor) async throws -> (free: [Seat], expired: [HoldTransition]) {
        // Rows another transaction holds are skipped, never waited for: waiting here, with other
        // rows already locked, is how deadlocks start. That transaction expires or sweeps them.
        let stale = try await sql.run("""
            UPDATE holds SET state = 'EXPIRED', updated_at = \(now)
            WHERE hold_id IN (SELECT hold_id FROM holds WHERE flight_id = \(flightID.rawValue) AND state = 'HELD' AND expires_at <= \(now)
                              ORDER BY hold_id\(raw: database.dialect.claimUnlocked))
            RETURNING \(raw: Self.holdColumns)
            """).holds()
        let taken = Set(try await sql.run("""
            SELECT seat_id FROM holds WHERE flight_id = \(flightID.rawValue) AND state IN ('HELD', 'CONFIRMED')
            """).map { try $0.seatID("seat_id") })
        return (seats.filter { !taken.contains($0.id) }, stale.map(HoldRules.sweptExpiry))
    }
}

extension SQLRow {
    func seat() throws -> Seat {
        Seat(id: try seatID("seat_id"), cabin: try parsed("cabin", Cabin.init(rawValue:), expected: "a cabin"),
             characteristics: try string("characteristics").split(separator: ",")
                .compactMap { SeatCharacteristic(rawValue: String($0)) })
    }

    func waitlistEntry() throws -> WaitlistEntry {
        let state = try parsed("state", WaitlistState.init(rawValue:), expected: "a waitlist state")
        let seatType = try parsed("seat_type", SeatPreferences.SeatType.init(rawValue:), expected: "a seat type")
        let preferences = SeatPreferences(
            cabin: try optionalString("cabin").flatMap(Cabin.init(rawValue:)), seatType: seatType,
            seats: try string("seats").split(separator: ",").compactMap { SeatID(String($0)) })
        return WaitlistEntry(id: try uuid("waitlist_id"), flightID: try flightID("flight_id"), passengerID: try uuid("passenger_id"),
                             preferences: preferences, priorityRank: Int(try int("priority_rank")), joinedAt: try date("joined_at"),
                             sequence: try int("sequence"), state: state,
                             seatID: try optionalString("seat_id").flatMap(SeatID.init), holdID: try optionalUUID("hold_id"),
                             updatedAt: try date("updated_at"))
    }
}
