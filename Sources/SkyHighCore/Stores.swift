import Foundation

/// Flights, their seats and their seat maps.
public protocol FlightStore: Sendable {
    /// Creates a flight with its seats; `DomainError.flightExists` if the id is taken.
    func createFlight(_ flight: Flight, seats: [Seat], at now: Date) async throws -> Flight
    func flight(_ id: FlightID) async throws -> Flight?
    /// The seat map as of `now`: holds past their expiry count as gone, swept or not.
    func seatMap(_ id: FlightID, at now: Date) async throws -> SeatMap?
    /// The flight's history, oldest first.
    func events(of id: FlightID) async throws -> [FlightEvent]
    /// The seat-changing events after `version` that are final, in version order, for at most
    /// `limit` versions (for live seat changes).
    func seatEvents(of id: FlightID, afterVersion version: Int64, limit: Int) async throws -> SeatEventBatch
    /// The current seat-map version of each flight named that exists.
    func flightVersions(_ ids: [FlightID]) async throws -> [FlightID: Int64]
    /// Up to `limit` flights departing after `now`, the soonest first.
    func upcomingFlights(after now: Date, limit: Int) async throws -> [FlightID]
    func seat(_ id: SeatID, on flightID: FlightID) async throws -> Seat?
}

/// Seat changes read after a version.
public struct SeatEventBatch: Sendable, Equatable {
    /// The final ones, in version order; all the changes of one version come together.
    public let events: [FlightEvent]
    /// Later changes that are not final yet: a transaction older than them is still running, and
    /// may still add a change below them. Ask again shortly.
    public let pending: Bool

    public init(events: [FlightEvent], pending: Bool) {
        self.events = events
        self.pending = pending
    }

    /// How many versions the batch holds.
    public var versions: Int { Set(events.compactMap(\.version)).count }
}

/// Bookings made elsewhere and imported by admins.
public protocol BookingStore: Sendable {
    /// `DomainError.bookingExists` if the reference is taken; `.flightNotFound` if the flight is unknown.
    func createBooking(_ booking: Booking, at now: Date) async throws
    func booking(_ reference: BookingReference) async throws -> Booking?
    /// The booking a passenger belongs to.
    func booking(of passengerID: PassengerID) async throws -> Booking?
}

/// Sign-in sessions: only a hash of each token is stored.
public protocol SessionStore: Sendable {
    func createSession(tokenHash: String, booking: BookingReference, createdAt: Date, expiresAt: Date) async throws
    /// The booking of a session that has not expired at `now`.
    func sessionBooking(tokenHash: String, at now: Date) async throws -> BookingReference?
}

/// Seat holds: every change is one transaction that also appends to the flight's history.
public protocol HoldStore: Sendable {
    /// Holds `seatID` for the passenger (see ``HoldRules/place``). `DomainError.seatUnavailable`
    /// when another live hold has the seat, decided by the store's uniqueness rule.
    func placeHold(flightID: FlightID, seatID: SeatID, passengerID: PassengerID,
                   at now: Date, duration: TimeInterval) async throws -> Hold
    func hold(_ id: HoldID) async throws -> Hold?
    /// Confirms a hold of one of `passengers` (`DomainError.notYourBooking` for anyone else's).
    func confirmHold(_ id: HoldID, byOneOf passengers: [PassengerID], at now: Date) async throws -> Hold
    /// Cancels a hold of one of `passengers` (`DomainError.notYourBooking` for anyone else's).
    func cancelHold(_ id: HoldID, byOneOf passengers: [PassengerID], at now: Date) async throws -> Hold
    /// Marks up to `limit` HELD holds whose time is up as EXPIRED, recording each; returns them.
    func expireHolds(at now: Date, limit: Int) async throws -> [Hold]
    /// When the earliest HELD hold expires, if any.
    func nextHoldExpiry() async throws -> Date?
}

extension HoldStore {
    public func confirmHold(_ id: HoldID, by passengerID: PassengerID, at now: Date) async throws -> Hold {
        try await confirmHold(id, byOneOf: [passengerID], at: now)
    }

    public func cancelHold(_ id: HoldID, by passengerID: PassengerID, at now: Date) async throws -> Hold {
        try await cancelHold(id, byOneOf: [passengerID], at: now)
    }
}

/// The waitlist of each flight.
public protocol WaitlistStore: Sendable {
    /// Adds the passenger to the flight's waitlist; if a seat matching the preferences is free,
    /// it is offered at once (to the first entry in line that it suits, which may be this one).
    /// `DomainError.alreadyWaiting`, `.waitlistClosed`.
    func joinWaitlist(flightID: FlightID, passengerID: PassengerID, preferences: SeatPreferences,
                      at now: Date) async throws -> WaitlistEntry
    func waitlistEntry(_ id: UUID) async throws -> WaitlistEntry?
    /// 1 for the first WAITING entry of the flight; `nil` when the entry is not WAITING.
    func waitlistPosition(of entry: WaitlistEntry) async throws -> Int?
    func leaveWaitlist(_ id: UUID, by passengerID: PassengerID, at now: Date) async throws -> WaitlistEntry
    /// Offers a seat that became free to the flight's waitlist; returns the entry that got it.
    /// Safe to run again: a seat that is no longer free is offered to no one.
    func offerSeat(flightID: FlightID, seatID: SeatID, at now: Date) async throws -> WaitlistEntry?
    /// Ends every WAITING entry of a flight whose waitlist has closed.
    func closeWaitlist(flightID: FlightID, at now: Date) async throws -> [WaitlistEntry]
}

/// The durable job queue.
public protocol JobStore: Sendable {
    func enqueue(_ job: NewJob, requestID: String?, at now: Date) async throws -> Job
    /// Claims up to `limit` jobs that are due (or whose worker's lease ran out) for `worker`,
    /// leasing them for `lease` seconds. No job is claimed by two workers at once.
    func claimJobs(worker: String, at now: Date, lease: TimeInterval, limit: Int) async throws -> [Job]
    /// Marks a job this worker still holds as done; `false` if the lease was lost meanwhile.
    @discardableResult
    func completeJob(_ id: UUID, worker: String, at now: Date) async throws -> Bool
    /// Records a failed run: RETRYING at `retryAt`, or DEAD once the attempts are used up.
    @discardableResult
    func failJob(_ id: UUID, worker: String, error: String, retryAt: Date, at now: Date) async throws -> JobState?
    /// Records a run that could not be made because an external service is down: RETRYING at
    /// `retryAt`, its attempt given back (the outage is no fault of the job), one more
    /// postponement counted. `false` if the lease was lost meanwhile.
    @discardableResult
    func postponeJob(_ id: UUID, worker: String, reason: String, retryAt: Date, at now: Date) async throws -> Bool
    func job(_ id: UUID) async throws -> Job?
    func jobOverview(deadLimit: Int) async throws -> JobOverview
    /// Puts a DEAD job back in the queue with fresh attempts.
    func retryDeadJob(_ id: UUID, at now: Date) async throws -> Job
    /// When the next queued or retrying job is due, if any.
    func nextJobDue() async throws -> Date?
}

/// A message to a passenger, written in the same transaction as the change it reports.
public struct OutboxMessage: Sendable, Equatable {
    public let id: UUID
    public let passengerID: PassengerID
    public let flightID: FlightID
    public let kind: String
    /// JSON.
    public let body: String
    public let createdAt: Date
    public let deliveredAt: Date?

    public init(id: UUID, passengerID: PassengerID, flightID: FlightID, kind: String, body: String,
                createdAt: Date, deliveredAt: Date?) {
        self.id = id
        self.passengerID = passengerID
        self.flightID = flightID
        self.kind = kind
        self.body = body
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
    }
}

public protocol NotificationStore: Sendable {
    func outboxMessage(_ id: UUID) async throws -> OutboxMessage?
    func markDelivered(_ id: UUID, at now: Date) async throws
    func outboxMessages(for passengerID: PassengerID) async throws -> [OutboxMessage]
}

/// The answer stored for an `Idempotency-Key`, replayed for a repeat.
public struct StoredResponse: Sendable, Equatable {
    public let status: Int
    public let contentType: String
    public let body: Data
    public let location: String?

    public init(status: Int, contentType: String, body: Data, location: String? = nil) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.location = location
    }
}

/// An idempotency key as the store sees it: scoped to the client and the route.
public struct IdempotencyScope: Sendable, Hashable {
    public let client: String
    public let route: String
    public let key: String

    public init(client: String, route: String, key: String) {
        self.client = client
        self.route = route
        self.key = key
    }
}

/// What one request with an `Idempotency-Key` answered, and whether to keep it: an answer that
/// changed nothing a retry could not change too (a 5xx, a 429) is not kept.
public struct IdempotentAnswer: Sendable, Equatable {
    public let response: StoredResponse
    public let keep: Bool
    /// What is kept for repeats when it must differ from the answer: a secret the answer
    /// carries (a new session's bearer token) is never stored.
    public let kept: StoredResponse?

    public init(response: StoredResponse, keep: Bool, kept: StoredResponse? = nil) {
        self.response = response
        self.keep = keep
        self.kept = kept
    }
}

public enum IdempotentRun: Sendable, Equatable {
    /// First use of the key: the request ran, and its effect and answer committed together
    /// (or, for an answer not kept, neither did).
    case performed(StoredResponse)
    /// The key was used before with the same request: here is the first answer.
    case replay(StoredResponse)
    /// The key was used before with a different request.
    case mismatch
    /// The first request with this key has not finished yet.
    case inProgress
}

public protocol IdempotencyStore: Sendable {
    /// Runs `perform` as one transaction with the key's record: its store calls join that
    /// transaction, and its effect commits together with its answer. Whatever process dies at
    /// whatever moment, a retry with the same key replays the answer of the effect that happened
    /// or performs it for the first time, never twice.
    func runIdempotently(_ scope: IdempotencyScope, requestHash: String, at now: Date,
                         _ perform: @escaping @Sendable () async throws -> IdempotentAnswer) async throws -> IdempotentRun
}

/// What the Payment service reported about an intent, through the webhook or when asked.
public struct PaymentEvent: Sendable, Equatable {
    public let eventID: String
    public let intentID: String
    public let succeeded: Bool
    public let failureReason: String?

    public init(eventID: String, intentID: String, succeeded: Bool, failureReason: String? = nil) {
        self.eventID = eventID
        self.intentID = intentID
        self.succeeded = succeeded
        self.failureReason = failureReason
    }
}

public enum PaymentEventOutcome: Sendable, Equatable {
    /// Applied to this check-in (which may not have changed: a late failure after a success).
    case applied(CheckIn)
    /// The event id was seen before: acknowledged, nothing done.
    case duplicate
    /// No check-in has this intent (yet): nothing recorded, the event id not consumed, so the
    /// provider's retry is applied once the intent is known.
    case unknownIntent
    /// The intent was flagged for follow-up (its change did not commit): the outcome is kept on
    /// the follow-up (a success marks it for refund).
    case followUp(PaymentFollowUp)
}

/// Check-ins with their bags and payments. Every change is one transaction that also appends
/// to the flight's history.
public protocol CheckInStore: Sendable {
    /// Starts the passenger's check-in on the flight, or returns the open one (`created: false`).
    /// `DomainError.checkInClosed` once check-in has closed.
    func startCheckIn(flightID: FlightID, passengerID: PassengerID, at now: Date) async throws -> (checkIn: CheckIn, created: Bool)
    /// The check-in with its bags, payments and the passenger's confirmed seat.
    func checkIn(_ id: UUID) async throws -> CheckIn?
    /// The check-in's own events, oldest first.
    func checkInHistory(_ id: UUID) async throws -> [FlightEvent]
    /// Writes a change decided on `update`'s check-in as read at `expectedRevision`;
    /// `DomainError.concurrentChange` if another change came first. (For changes that needed an
    /// external service's answer, asked outside the transaction.)
    func saveCheckIn(_ update: CheckInUpdate, expectedRevision: Int64, at now: Date) async throws -> CheckIn
    /// Locks the check-in and the passenger's confirmed seat, asks `decide`, and writes its answer.
    func changeCheckIn(_ id: UUID, at now: Date,
                       _ decide: @escaping @Sendable (CheckIn) throws -> CheckInUpdate) async throws -> CheckIn
    /// Applies a payment outcome once per event id (see ``CheckInRules/paymentSucceeded``).
    func recordPaymentEvent(_ event: PaymentEvent, policy: BaggagePolicy, at now: Date) async throws -> PaymentEventOutcome
    /// The payment with this intent id and its check-in's id.
    func payment(_ intentID: String) async throws -> (payment: Payment, checkinID: UUID)?
    /// Cancels the flight's check-ins that did not complete before check-in closed.
    func closeCheckIns(flightID: FlightID, at now: Date) async throws -> [CheckIn]
}

/// Everything the service keeps, in one store.
public protocol SkyHighStore: FlightStore, BookingStore, SessionStore, HoldStore, WaitlistStore, JobStore,
    NotificationStore, IdempotencyStore, AbuseStore, CheckInStore, MaintenanceStore {
    /// Cheap round trip used by readiness checks.
    func ping() async throws
    /// The store's own clock, where it has one apart from this process's (a database server):
    /// the reference for every instance's "now" (see ``StoreAlignedClock``).
    func storeTime() async throws -> Date?
}
