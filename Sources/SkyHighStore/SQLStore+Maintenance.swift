import Foundation
import SkyHighCore

extension SQLStore {
    public func purge(_ record: RetainedRecord, before cutoff: Date, limit: Int) async throws -> Int {
        let limit = Int64(max(1, limit))
        let statement: SQLStatement = switch record {
        case .sessions: """
            DELETE FROM sessions WHERE token_hash IN (
                SELECT token_hash FROM sessions WHERE expires_at <= \(cutoff) LIMIT \(limit)) RETURNING token_hash
            """
        case .idempotencyKeys: """
            DELETE FROM idempotency_keys WHERE (client_key, route, idem_key) IN (
                SELECT client_key, route, idem_key FROM idempotency_keys WHERE created_at <= \(cutoff) AND state = 'DONE' LIMIT \(limit))
            RETURNING idem_key
            """
        case .finishedJobs: """
            DELETE FROM jobs WHERE job_id IN (
                SELECT job_id FROM jobs WHERE state = 'SUCCEEDED' AND updated_at <= \(cutoff) LIMIT \(limit)) RETURNING job_id
            """
        case .deliveredNotifications: """
            DELETE FROM notifications WHERE notification_id IN (
                SELECT notification_id FROM notifications WHERE delivered_at IS NOT NULL AND delivered_at <= \(cutoff) LIMIT \(limit))
            RETURNING notification_id
            """
        case .paymentEvents: """
            DELETE FROM payment_events WHERE event_id IN (
                SELECT event_id FROM payment_events WHERE received_at <= \(cutoff) LIMIT \(limit)) RETURNING event_id
            """
        }
        return try await run(statement).count
    }

    public func flightsWithWaitingEntries(at now: Date, limit: Int) async throws -> [FlightID] {
        try await run("""
            SELECT f.flight_id FROM flights f
            WHERE f.departure_time > \(now) AND EXISTS (SELECT 1 FROM waitlist_entries w WHERE w.flight_id = f.flight_id AND w.state = 'WAITING')
            ORDER BY f.departure_time, f.flight_id LIMIT \(Int64(limit))
            """).map { try $0.flightID("flight_id") }
    }

    public func offerFreeSeats(flightID: FlightID, at now: Date) async throws -> [WaitlistEntry] {
        let winners = try await transaction { sql -> [WaitlistEntry] in
            guard let flight = try await sql.run("SELECT \(raw: Self.flightColumns) FROM flights WHERE flight_id = \(flightID.rawValue)").first?.flight()
            else { return [] }
            let waiting = try await sql.run("""
                SELECT \(raw: Self.waitlistColumns) FROM waitlist_entries WHERE flight_id = \(flightID.rawValue) AND state = 'WAITING'
                """).map { try $0.waitlistEntry() }
            guard !waiting.isEmpty else { return [] }
            let available = try await availableSeats(of: flightID, among: try await seats(of: flightID, sql), at: now, sql)
            var transitions = available.expired
            var winners: [WaitlistEntry] = []
            for seat in WaitlistRules.wanted(available.free, by: waiting) where winners.count < waiting.count {
                guard let offered = try await offer(seat, on: flight, at: now, sql) else { continue }
                winners.append(offered.winner)
                transitions += offered.transitions
            }
            try await record(transitions, flightID: flightID, at: now, sql)
            return winners
        }
        if !winners.isEmpty {
            jobsEnqueued()
            seatsChanged(flightID)
        }
        return winners
    }

    public func unreconciledPayments(createdBefore cutoff: Date, limit: Int) async throws -> [String] {
        // A reconciliation job's payload is the key-sorted JSON of its intent id (see ``NewJob``).
        try await run("""
            SELECT p.payment_intent_id FROM payments p JOIN checkins c ON c.checkin_id = p.checkin_id
            WHERE p.status = 'PENDING' AND p.created_at <= \(cutoff) AND c.state = 'WAITING_FOR_PAYMENT'
              AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = \(JobKind.reconcilePayment.rawValue)
                              AND j.state IN ('QUEUED', 'RUNNING', 'RETRYING')
                              AND j.payload = '{"paymentIntentId":"' || p.payment_intent_id || '"}')
            ORDER BY p.created_at, p.payment_intent_id LIMIT \(Int64(limit))
            """).map { try $0.string("payment_intent_id") }
    }

    public func flagPaymentIntent(_ followUp: PaymentFollowUp) async throws {
        try await run("""
            INSERT INTO payment_followups (payment_intent_id, checkin_id, amount, currency, reason, refund_due, created_at, updated_at)
            SELECT \(followUp.intentID), \(followUp.checkinID), \(followUp.amount.amount), \(followUp.amount.currency), \(followUp.reason), 0, \(followUp.createdAt), \(followUp.createdAt)
            WHERE NOT EXISTS (SELECT 1 FROM payments WHERE payment_intent_id = \(followUp.intentID))
            ON CONFLICT (payment_intent_id) DO NOTHING
            """)
    }

    public func paymentFollowUps() async throws -> [PaymentFollowUp] {
        try await run("""
            SELECT \(raw: Self.followUpColumns) FROM payment_followups ORDER BY created_at, payment_intent_id
            """).map { try $0.followUp() }
    }

    static let followUpColumns = "payment_intent_id, checkin_id, amount, currency, reason, reported_status, refund_due, created_at"

    /// A reported outcome for an intent flagged for follow-up, in the caller's transaction: kept
    /// on the follow-up (a success is owed back). `nil` when the intent is not flagged.
    func reportOnFollowUp(_ event: PaymentEvent, at now: Date, _ sql: any SQLExecutor) async throws -> PaymentFollowUp? {
        let status = event.succeeded ? PaymentStatus.succeeded : .failed
        // A success stays a success: a later failure report does not take the refund back.
        try await sql.run("""
            UPDATE payment_followups SET reported_status = \(status.rawValue), refund_due = \(event.succeeded ? 1 : 0), updated_at = \(now)
            WHERE payment_intent_id = \(event.intentID) AND (reported_status IS NULL OR reported_status <> 'SUCCEEDED')
            """)
        return try await sql.run("""
            SELECT \(raw: Self.followUpColumns) FROM payment_followups WHERE payment_intent_id = \(event.intentID)
            """).first?.followUp()
    }
}

extension SQLRow {
    func followUp() throws -> PaymentFollowUp {
        PaymentFollowUp(intentID: try string("payment_intent_id"), checkinID: try uuid("checkin_id"),
                        amount: Money(amount: try int("amount"), currency: try string("currency")),
                        reason: try string("reason"),
                        reportedStatus: try optionalString("reported_status").flatMap(PaymentStatus.init(rawValue:)),
                        refundDue: try int("refund_due") != 0, createdAt: try date("created_at"))
    }
}
