import Foundation

/// The kinds of row the retention purge removes, each once it is older than its own age.
public enum RetainedRecord: String, Sendable, CaseIterable, Hashable {
    /// Sessions whose sign-in expired.
    case sessions
    /// Answers kept for `Idempotency-Key` repeats.
    case idempotencyKeys = "idempotency_keys"
    /// Jobs that SUCCEEDED (DEAD jobs stay until an admin retries them).
    case finishedJobs = "finished_jobs"
    /// Outbox messages that were delivered.
    case deliveredNotifications = "delivered_notifications"
    /// Payment webhook events seen (their ids deduplicate repeats within the age).
    case paymentEvents = "payment_events"
}

/// How long each kind of row is kept, and how much one purge statement may delete.
public struct RetentionPolicy: Sendable, Equatable {
    public var ages: [RetainedRecord: TimeInterval]
    /// Rows one statement deletes at most: a purge never holds locks on a large range.
    public var batchSize: Int
    /// Batches per kind of row in one round; what is left waits for the next round.
    public var batchesPerRound: Int

    public init(ages: [RetainedRecord: TimeInterval] = RetentionPolicy.defaultAges, batchSize: Int = 1000,
                batchesPerRound: Int = 20) {
        self.ages = ages
        self.batchSize = batchSize
        self.batchesPerRound = batchesPerRound
    }

    public static let defaultAges: [RetainedRecord: TimeInterval] = [
        .sessions: 24 * 3600, .idempotencyKeys: 24 * 3600, .finishedJobs: 7 * 86_400,
        .deliveredNotifications: 30 * 86_400, .paymentEvents: 90 * 86_400,
    ]

    /// Rows of `record` from before this are purged (for sessions: that expired before this).
    public func cutoff(_ record: RetainedRecord, now: Date) -> Date {
        now - (ages[record] ?? Self.defaultAges[record] ?? 0)
    }
}

/// A payment intent created for a change that did not commit: nothing in the store refers to it,
/// so it is kept here for an operator (cancel it at the Payment service, or refund it).
public struct PaymentFollowUp: Sendable, Equatable {
    public let intentID: String
    public let checkinID: UUID
    public let amount: Money
    public let reason: String
    /// What the Payment service reported about it since, if anything.
    public let reportedStatus: PaymentStatus?
    /// It succeeded: the passenger paid for nothing and is owed the money back.
    public let refundDue: Bool
    public let createdAt: Date

    public init(intentID: String, checkinID: UUID, amount: Money, reason: String, reportedStatus: PaymentStatus? = nil,
                refundDue: Bool = false, createdAt: Date) {
        self.intentID = intentID
        self.checkinID = checkinID
        self.amount = amount
        self.reason = reason
        self.reportedStatus = reportedStatus
        self.refundDue = refundDue
        self.createdAt = createdAt
    }
}

/// What the periodic repair and the retention purge need: due work derived from the state
/// itself, never only from queued jobs, and old rows removed in bounded batches.
public protocol MaintenanceStore: Sendable {
    /// Deletes up to `limit` rows of `record` from before `cutoff`; answers how many it deleted.
    func purge(_ record: RetainedRecord, before cutoff: Date, limit: Int) async throws -> Int
    /// Flights departing after `now` with WAITING waitlist entries, at most `limit`.
    func flightsWithWaitingEntries(at now: Date, limit: Int) async throws -> [FlightID]
    /// Offers every free seat of the flight that a WAITING entry wants (see
    /// ``WaitlistRules/wanted(_:by:)``); returns the entries that got one.
    func offerFreeSeats(flightID: FlightID, at now: Date) async throws -> [WaitlistEntry]
    /// Intents of PENDING payments created before `cutoff`, whose check-in still waits for them
    /// and that no reconciliation job is queued, running or retrying for; at most `limit`.
    func unreconciledPayments(createdBefore cutoff: Date, limit: Int) async throws -> [String]
    /// Records an intent that no committed change refers to. Nothing happens when a payment
    /// has it after all (a concurrent request with the same intent committed).
    func flagPaymentIntent(_ followUp: PaymentFollowUp) async throws
    /// Every intent flagged for follow-up, oldest first.
    func paymentFollowUps() async throws -> [PaymentFollowUp]
}

extension WaitlistRules {
    /// The free seats that at least one WAITING entry would take, in the order given.
    public static func wanted(_ free: [Seat], by entries: [WaitlistEntry]) -> [Seat] {
        let waiting = entries.filter { $0.state == .waiting }
        return free.filter { seat in waiting.contains { $0.preferences.mismatch(seat) == nil } }
    }
}
