import Foundation
import SkyHighCore

extension SQLStore {
    static let checkInColumns = """
        checkin_id, flight_id, passenger_id, state, failure_reason, sequence_number, revision, created_at, updated_at
        """
    static let paymentColumns = """
        payment_intent_id, checkin_id, amount, currency, status, failure_reason, refund_due, created_at, updated_at
        """

    public func startCheckIn(flightID: FlightID, passengerID: PassengerID,
                             at now: Date) async throws -> (checkIn: CheckIn, created: Bool) {
        let id = ids()
        return try await transaction { sql in
            guard let flight = try await flight(flightID, sql) else { throw DomainError.flightNotFound(flightID) }
            if let open = try await openCheckIn(flightID, passengerID, sql) { return (open, false) }
            let start = try CheckInRules.start(id: id, flight: flight, passengerID: passengerID, now: now,
                                               closesBefore: checkinCloses)
            // A concurrent start for the same passenger inserts nothing here and returns theirs.
            let inserted = try await sql.run("""
                INSERT INTO checkins (\(raw: Self.checkInColumns)) VALUES (\(id), \(flightID.rawValue), \(passengerID), 'IN_PROGRESS', NULL, NULL, 0, \(now), \(now))
                ON CONFLICT (flight_id, passenger_id) WHERE state <> 'CANCELLED' DO NOTHING RETURNING checkin_id
                """)
            guard !inserted.isEmpty else {
                guard let theirs = try await openCheckIn(flightID, passengerID, sql) else { throw DomainError.concurrentChange }
                return (theirs, false)
            }
            try await appendEvents(start.events.map { event(for: $0, of: start.checkIn) }, at: now, sql)
            return (try await lockedCheckIn(id, sql), true)
        }
    }

    public func checkIn(_ id: UUID) async throws -> CheckIn? {
        try await transaction { sql in
            guard let row = try await sql.run("SELECT \(raw: Self.checkInColumns) FROM checkins WHERE checkin_id = \(id)").first
            else { return nil }
            return try await loaded(row, sql)
        }
    }

    public func checkInHistory(_ id: UUID) async throws -> [FlightEvent] {
        try await run("""
            SELECT \(raw: Self.eventColumns) FROM flight_events WHERE checkin_id = \(id) ORDER BY sequence
            """).map { try $0.flightEvent() }
    }

    public func saveCheckIn(_ update: CheckInUpdate, expectedRevision: Int64, at now: Date) async throws -> CheckIn {
        let saved = try await transaction { sql in
            let current = try await lockedCheckIn(update.checkIn.id, sql)
            guard current.revision == expectedRevision else { throw DomainError.concurrentChange }
            return try await write(update, over: current, at: now, sql)
        }
        jobsEnqueued()
        return saved
    }

    public func changeCheckIn(_ id: UUID, at now: Date,
                              _ decide: @escaping @Sendable (CheckIn) throws -> CheckInUpdate) async throws -> CheckIn {
        let changed = try await transaction { sql in try await change(id, at: now, sql, decide) }
        jobsEnqueued()
        return changed
    }

    public func recordPaymentEvent(_ event: PaymentEvent, policy: BaggagePolicy, at now: Date) async throws -> PaymentEventOutcome {
        let outcome = try await transaction { sql -> PaymentEventOutcome in
            let owner = try await sql.run("SELECT checkin_id FROM payments WHERE payment_intent_id = \(event.intentID)").first?.uuid("checkin_id")
            // An intent not known (yet) consumes nothing: the provider's retry is applied once the
            // change that created it has committed.
            guard let owner else {
                return try await reportOnFollowUp(event, at: now, sql).map(PaymentEventOutcome.followUp) ?? .unknownIntent
            }
            // First writer of an event id wins; a repeat (even a concurrent one) finds the row.
            let fresh = try await sql.run("""
                INSERT INTO payment_events (event_id, payment_intent_id, status, failure_reason, outcome, received_at)
                VALUES (\(event.eventID), \(event.intentID), \(event.succeeded ? PaymentStatus.succeeded.rawValue : PaymentStatus.failed.rawValue), \(event.failureReason), 'APPLIED', \(now)) ON CONFLICT (event_id) DO NOTHING RETURNING event_id
                """)
            guard !fresh.isEmpty else { return .duplicate }
            return .applied(try await change(owner, at: now, sql) { checkIn in
                event.succeeded
                    ? CheckInRules.paymentSucceeded(event.intentID, for: checkIn, policy: policy, now: now)
                    : CheckInRules.paymentFailed(event.intentID, reason: event.failureReason ?? "payment failed",
                                                 for: checkIn, now: now)
            })
        }
        jobsEnqueued()
        return outcome
    }

    public func payment(_ intentID: String) async throws -> (payment: Payment, checkinID: UUID)? {
        guard let row = try await run("SELECT \(raw: Self.paymentColumns) FROM payments WHERE payment_intent_id = \(intentID)").first
        else { return nil }
        return (try row.payment(), try row.uuid("checkin_id"))
    }

    public func closeCheckIns(flightID: FlightID, at now: Date) async throws -> [CheckIn] {
        try await transaction { sql in
            let open = try await sql.run("""
                SELECT checkin_id FROM checkins WHERE flight_id = \(flightID.rawValue) AND state IN ('IN_PROGRESS', 'WAITING_FOR_PAYMENT')
                ORDER BY checkin_id
                """)
            var closed: [CheckIn] = []
            for row in open {
                closed.append(try await change(try row.uuid("checkin_id"), at: now, sql) { checkIn in
                    guard checkIn.state != .completed else { return CheckInUpdate(checkIn: checkIn) }
                    return try CheckInRules.cancel(checkIn, actor: .system("checkin-close"), reason: "check-in closed", now: now)
                })
            }
            return closed
        }
    }

    /// A completed check-in whose passenger lost their confirmed seat with no new one (part of a
    /// hold transaction, see ``record``) opens again.
    func reopenCheckIns(after transitions: [HoldTransition], flightID: FlightID, at now: Date,
                        _ sql: any SQLExecutor) async throws {
        let keepsASeat = Set(transitions.filter { $0.hold.state == .confirmed }.map(\.hold.passengerID))
        let lostSeat = Set(transitions.filter { $0.from == .confirmed && $0.freesSeat }.map(\.hold.passengerID))
        for passengerID in lostSeat.subtracting(keepsASeat).sorted(by: { $0.uuidString < $1.uuidString }) {
            for row in try await sql.run("""
                SELECT \(raw: Self.checkInColumns) FROM checkins
                WHERE flight_id = \(flightID.rawValue) AND passenger_id = \(passengerID) AND state = 'COMPLETED'\(raw: database.dialect.lockForUpdate)
                """) {
                let current = try await loaded(row, sql)
                _ = try await write(CheckInRules.seatReleased(current, now: now), over: current, at: now, sql)
            }
        }
    }

    // MARK: - Steps shared by the transactions above

    /// Locks the passenger's confirmed seat and then the check-in (the order hold changes lock
    /// them in), decides, and writes.
    private func change(_ id: UUID, at now: Date, _ sql: any SQLExecutor,
                        _ decide: (CheckIn) throws -> CheckInUpdate) async throws -> CheckIn {
        guard let row = try await sql.run("SELECT flight_id, passenger_id FROM checkins WHERE checkin_id = \(id)").first
        else { throw DomainError.checkInNotFound(id) }
        try await sql.run("""
            SELECT hold_id FROM holds WHERE flight_id = \(try row.string("flight_id")) AND passenger_id = \(try row.string("passenger_id")) AND state = 'CONFIRMED'\(raw: database.dialect.lockForUpdate)
            """)
        let current = try await lockedCheckIn(id, sql)
        return try await write(try decide(current), over: current, at: now, sql)
    }

    /// The passenger's check-in on the flight that is not CANCELLED, if any.
    private func openCheckIn(_ flightID: FlightID, _ passengerID: PassengerID, _ sql: any SQLExecutor) async throws -> CheckIn? {
        guard let row = try await sql.run("""
            SELECT \(raw: Self.checkInColumns) FROM checkins WHERE flight_id = \(flightID.rawValue) AND passenger_id = \(passengerID) AND state <> 'CANCELLED'
            """).first
        else { return nil }
        return try await loaded(row, sql)
    }

    private func lockedCheckIn(_ id: UUID, _ sql: any SQLExecutor) async throws -> CheckIn {
        guard let row = try await sql.run("""
            SELECT \(raw: Self.checkInColumns) FROM checkins WHERE checkin_id = \(id)\(raw: database.dialect.lockForUpdate)
            """).first
        else { throw DomainError.checkInNotFound(id) }
        return try await loaded(row, sql)
    }

    /// The check-in of `row` with its bags, its payments and the passenger's confirmed seat.
    private func loaded(_ row: SQLRow, _ sql: any SQLExecutor) async throws -> CheckIn {
        var checkIn = try row.checkIn()
        checkIn.bags = try await sql.run("""
            SELECT tag, declared_grams, weight_grams, added_at FROM checkin_bags WHERE checkin_id = \(checkIn.id) ORDER BY added_at, tag
            """).map { try $0.bag() }
        checkIn.payments = try await sql.run("""
            SELECT \(raw: Self.paymentColumns) FROM payments WHERE checkin_id = \(checkIn.id) ORDER BY position
            """).map { try $0.payment() }
        checkIn.seatID = try await sql.run("""
            SELECT seat_id FROM holds WHERE flight_id = \(checkIn.flightID.rawValue) AND passenger_id = \(checkIn.passengerID) AND state = 'CONFIRMED'
            """).first?.seatID("seat_id")
        return checkIn
    }

    /// Writes the difference between `current` and the decided check-in: the row (guarded by its
    /// revision), bags, payments, a reconciliation job per new intent, and the events.
    private func write(_ update: CheckInUpdate, over current: CheckIn, at now: Date,
                       _ sql: any SQLExecutor) async throws -> CheckIn {
        guard !update.changesNothing else { return current }
        var next = update.checkIn
        if next.state == .completed, next.sequenceNumber == nil {
            next.sequenceNumber = try await sql.run("""
                UPDATE flights SET checkin_sequence = checkin_sequence + 1 WHERE flight_id = \(next.flightID.rawValue) RETURNING checkin_sequence
                """).first.map { Int(try $0.int("checkin_sequence")) }
        }
        let written = try await sql.run("""
            UPDATE checkins SET state = \(next.state.rawValue), failure_reason = \(next.failureReason), sequence_number = \(next.sequenceNumber), revision = revision + 1, updated_at = \(now)
            WHERE checkin_id = \(next.id) AND revision = \(current.revision) RETURNING revision
            """)
        guard let revision = try written.first?.int("revision") else { throw DomainError.concurrentChange }
        next.revision = revision
        try await writeBags(next.bags, over: current.bags, of: next.id, sql)
        try await writePayments(next.payments, over: current.payments, of: next.id, at: now, sql)
        try await appendEvents(update.events.map { event(for: $0, of: next) }, at: now, sql)
        return next
    }

    private func writeBags(_ bags: [Bag], over old: [Bag], of id: UUID, _ sql: any SQLExecutor) async throws {
        for gone in old where !bags.contains(where: { $0.tag == gone.tag }) {
            try await sql.run("DELETE FROM checkin_bags WHERE checkin_id = \(id) AND tag = \(gone.tag.rawValue)")
        }
        for bag in bags where !old.contains(where: { $0.tag == bag.tag }) {
            try await sql.run("""
                INSERT INTO checkin_bags (checkin_id, tag, declared_grams, weight_grams, added_at) VALUES (\(id), \(bag.tag.rawValue), \(bag.declaredGrams), \(Int64(bag.weightGrams)), \(bag.addedAt))
                """)
        }
    }

    private func writePayments(_ payments: [Payment], over old: [Payment], of id: UUID, at now: Date,
                               _ sql: any SQLExecutor) async throws {
        for (position, payment) in payments.enumerated() {
            guard let before = old.first(where: { $0.intentID == payment.intentID }) else {
                try await sql.run("""
                    INSERT INTO payments (payment_intent_id, status, failure_reason, refund_due, updated_at,
                                          checkin_id, position, amount, currency, created_at)
                    VALUES (\(payment.intentID), \(payment.status.rawValue), \(payment.failureReason),
                            \(payment.refundDue ? 1 : 0), \(payment.updatedAt), \(id), \(position),
                            \(payment.amount.amount), \(payment.amount.currency), \(payment.createdAt))
                    """)
                // A retry that attaches an intent flagged when its first change failed resolves it.
                try await sql.run("DELETE FROM payment_followups WHERE payment_intent_id = \(payment.intentID)")
                if payment.status == .pending {
                    try await enqueue(NewJob(ReconcilePaymentPayload(intentID: payment.intentID),
                                             runAt: now + ReconcilePaymentPayload.interval), at: now, sql)
                }
                continue
            }
            guard before != payment else { continue }
            try await sql.run("""
                UPDATE payments SET status = \(payment.status.rawValue), failure_reason = \(payment.failureReason),
                    refund_due = \(payment.refundDue ? 1 : 0), updated_at = \(payment.updatedAt)
                WHERE payment_intent_id = \(payment.intentID)
                """)
        }
    }

    private func event(for change: CheckInEvent, of checkIn: CheckIn) -> EventRecord {
        EventRecord(flightID: checkIn.flightID, kind: .checkIn(change.kind), seatID: checkIn.seatID,
                    passengerID: checkIn.passengerID, checkinID: checkIn.id, actor: change.actor,
                    from: change.from?.rawValue, to: change.to.rawValue, detail: change.detail)
    }
}

extension SQLRow {
    func checkIn() throws -> CheckIn {
        CheckIn(id: try uuid("checkin_id"), flightID: try flightID("flight_id"), passengerID: try uuid("passenger_id"),
                state: try parsed("state", CheckInState.init(rawValue:), expected: "a check-in state"),
                failureReason: try optionalString("failure_reason"),
                sequenceNumber: try optionalInt("sequence_number").map { Int($0) }, revision: try int("revision"),
                createdAt: try date("created_at"), updatedAt: try date("updated_at"))
    }

    func bag() throws -> Bag {
        Bag(tag: try parsed("tag", BagTag.init, expected: "a bag tag"),
            declaredGrams: try optionalInt("declared_grams").map { Int($0) },
            weightGrams: Int(try int("weight_grams")), addedAt: try date("added_at"))
    }

    func payment() throws -> Payment {
        Payment(intentID: try string("payment_intent_id"),
                amount: Money(amount: try int("amount"), currency: try string("currency")),
                status: try parsed("status", PaymentStatus.init(rawValue:), expected: "a payment status"),
                failureReason: try optionalString("failure_reason"), refundDue: try int("refund_due") != 0,
                createdAt: try date("created_at"), updatedAt: try date("updated_at"))
    }
}
