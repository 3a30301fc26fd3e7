import Foundation
import SkyHighCore

/// A value bound to, or read from, a SQL statement. Each driver maps these to its own types
/// (a date is `TIMESTAMPTZ` on PostgreSQL and integer milliseconds on SQLite).
public enum SQLValue: Sendable, Equatable {
    case int(Int64)
    case text(String)
    case date(Date)
    case null

    public static func optional(_ text: String?) -> SQLValue { text.map { .text($0) } ?? .null }
}

/// One result row, by column name.
public struct SQLRow: Sendable {
    public let values: [String: SQLValue]

    public init(_ values: [String: SQLValue]) { self.values = values }

    public func int(_ column: String) throws -> Int64 {
        guard case .int(let value)? = values[column] else { throw SQLRowError(column: column, expected: "integer") }
        return value
    }

    public func optionalInt(_ column: String) throws -> Int64? {
        if case .null? = values[column] { return nil }
        return try int(column)
    }

    public func string(_ column: String) throws -> String {
        guard case .text(let value)? = values[column] else { throw SQLRowError(column: column, expected: "text") }
        return value
    }

    public func optionalString(_ column: String) throws -> String? {
        if case .null? = values[column] { return nil }
        return try string(column)
    }

    public func date(_ column: String) throws -> Date {
        switch values[column] {
        case .date(let date)?: return date
        case .int(let ms)?: return Date(millisecondsSince1970: ms)
        default: throw SQLRowError(column: column, expected: "timestamp")
        }
    }

    public func optionalDate(_ column: String) throws -> Date? {
        if case .null? = values[column] { return nil }
        if values[column] == nil { return nil }
        return try date(column)
    }
}

/// A column that does not hold what the schema promises: a defect, not bad input.
public struct SQLRowError: Error, CustomStringConvertible {
    public let column: String
    public let expected: String
    public var description: String { "column \(column) is not \(expected)" }
}

/// Failures a driver reports in a form the store logic can act on.
public enum SQLDriverError: Error, Equatable {
    /// A unique constraint or index refused the write; carries its name where the driver knows it.
    case uniqueViolation(constraint: String)
}

/// Runs statements. Statements use `$1`, `$2`, ... placeholders on every driver; the store writes
/// them as ``SQLStatement``s, which number the placeholders themselves.
public protocol SQLExecutor: Sendable {
    @discardableResult
    func run(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

/// What differs between SQL dialects in the statements the store writes.
public struct SQLDialect: Sendable {
    /// Appended to a `SELECT` that reads rows the transaction will change (`FOR UPDATE`).
    public let lockForUpdate: String
    /// Appended to a `SELECT` that claims rows other workers may be claiming (`FOR UPDATE SKIP LOCKED`).
    public let claimUnlocked: String
    /// Whether other processes can be signalled on commit (`NOTIFY`, PostgreSQL); SQLite has one
    /// process, which signals itself.
    public let notifiesOnCommit: Bool
    /// How seat-changing events get their version.
    public let seatVersions: SeatVersioning
    /// SQL for the server's clock, where the database runs apart from this process
    /// (`clock_timestamp()`); `nil` for an embedded one.
    public let clock: String?
    /// SQL that is 1 when the database accepts no writes now, else 0.
    public let readOnly: String

    public init(lockForUpdate: String, claimUnlocked: String, notifiesOnCommit: Bool = false,
                seatVersions: SeatVersioning = .flightCounter, clock: String? = nil, readOnly: String = "0") {
        self.readOnly = readOnly
        self.lockForUpdate = lockForUpdate
        self.claimUnlocked = claimUnlocked
        self.notifiesOnCommit = notifiesOnCommit
        self.seatVersions = seatVersions
        self.clock = clock
    }
}

/// Where the seat-map version of a change comes from. Either way it grows with every change of
/// a flight's seats, and a reader that has seen version `v` finds every later change above `v`.
public enum SeatVersioning: Sendable {
    /// A counter on the flight's row, bumped by each change: dense, and right for a database with
    /// one writer at a time (SQLite), where waiting for the row costs nothing.
    case flightCounter
    /// The id of the transaction that made the change (PostgreSQL's `pg_current_xact_id()`), so
    /// concurrent changes of one flight never wait for each other. Readers take only versions
    /// below the oldest running transaction's id (`skyhigh_settled_version()`): those are final.
    case transactionID

    /// SQL for the flight's current seat-map version, over `flights` aliased `f`.
    var flightVersion: String {
        switch self {
        case .flightCounter: "f.version"
        case .transactionID:
            "(SELECT COALESCE(MAX(e.version), 0) FROM flight_events e WHERE e.flight_id = f.flight_id "
                + "AND e.version IS NOT NULL AND e.version < skyhigh_settled_version())"
        }
    }

    /// SQL for the lowest version that a running transaction may still write.
    var settled: String {
        switch self {
        case .flightCounter: "9223372036854775807"
        case .transactionID: "skyhigh_settled_version()"
        }
    }
}

/// Seat writes a database makes in one round trip, as server-side functions that apply the
/// hold rules (PostgreSQL). ``SQLStore`` uses them where the database offers them.
public protocol SeatWriteProcedures: Sendable {
    /// Each returns the rows of its function: `outcome` (`placed`, `confirmed` or `cancelled`
    /// when done; else why not, such as `seat-unavailable`, or `fallback` for a change left to the
    /// general path) and the hold columns of each hold it changed or refused, the subject last.
    func placeHold(_ hold: Hold, attempts: Int, requestID: String?) async throws -> [SQLRow]
    func confirmHold(_ id: HoldID, passengers: [PassengerID], at now: Date, attempts: Int,
                     requestID: String?) async throws -> [SQLRow]
    func cancelHold(_ id: HoldID, passengers: [PassengerID], at now: Date, attempts: Int,
                    requestID: String?) async throws -> [SQLRow]
    /// A batch of the expiry sweep: up to `limit` lapsed holds, one row each.
    func expireHolds(at now: Date, limit: Int, attempts: Int, requestID: String?) async throws -> [SQLRow]
}

/// The signals the store sends other processes when a transaction commits.
public enum StoreChannel: String, Sendable, CaseIterable {
    /// Jobs were enqueued: workers should look.
    case jobs = "skyhigh_jobs"
    /// A client was blocked or unblocked: abuse guards should reload their blocks.
    case blocks = "skyhigh_blocks"
    /// Seats of a flight changed; the payload is the flight id.
    case seats = "skyhigh_seats"
}

extension SQLExecutor {
    /// Signals `channel` when the transaction commits, where the database can.
    func announce(_ channel: StoreChannel, payload: String = "", _ dialect: SQLDialect) async throws {
        if dialect.notifiesOnCommit {
            try await run("SELECT COUNT(*) AS sent FROM (SELECT pg_notify(\(channel.rawValue), \(payload))) AS signal")
        }
    }
}

/// A database the store can use: single statements, and transactions that commit when the body
/// returns and roll back when it throws.
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// Hold, confirm and cancel in one round trip, where the database can.
    var seatWrites: (any SeatWriteProcedures)? { get }
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// A transaction that spans a whole request (an idempotent one): as ``transaction(_:)``, with
    /// a time limit long enough for the request's calls to other services.
    func unitOfWork<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    @discardableResult
    func run(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

extension SQLDatabase {
    public var seatWrites: (any SeatWriteProcedures)? { nil }

    public func unitOfWork<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await transaction(body)
    }
}
