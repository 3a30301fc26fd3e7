import Foundation
import SkyHighCore

/// The whole ``SkyHighStore`` written once over ``SQLDatabase``: the SQLite and PostgreSQL
/// targets supply a driver, a dialect and their migrations, and share every statement here.
///
/// Conflicts are settled by the schema, never by a read before a write: partial unique indexes
/// allow one live hold per seat and one HELD and one CONFIRMED hold per passenger and flight,
/// and state changes are conditional updates (`WHERE state = expected`).
public struct SQLStore: SkyHighStore {
    public let database: any SQLDatabase
    let ids: IDGenerator
    /// How long before departure check-in and the waitlist close.
    let checkinCloses: TimeInterval
    /// Runs a job may take before it is DEAD, unless the job says otherwise.
    let jobAttempts: Int
    /// Told about committed changes, to wake this process's workers and refresh its seat maps.
    let signals: StoreSignals

    public init(database: any SQLDatabase, ids: IDGenerator = .random, checkinCloses: TimeInterval = 45 * 60,
                jobAttempts: Int = 10, signals: StoreSignals = StoreSignals()) {
        self.database = database
        self.ids = ids
        self.checkinCloses = checkinCloses
        self.jobAttempts = jobAttempts
        self.signals = signals
    }

    func jobsEnqueued() { signal(signals.jobsEnqueued) }

    func seatsChanged(_ flight: FlightID) { signal { signals.seatsChanged(flight) } }

    /// Reachable and writable: a database that only reads (a standby, a primary being demoted)
    /// is not ready for requests.
    public func ping() async throws {
        guard let row = try await run("SELECT \(raw: database.dialect.readOnly) AS read_only").first else {
            throw StoreUnavailableError("the database answered nothing")
        }
        if try row.int("read_only") != 0 { throw StoreUnavailableError("the database is read-only") }
    }

    public func storeTime() async throws -> Date? {
        guard let clock = database.dialect.clock else { return nil }
        return try await run("SELECT \(raw: clock) AS now").first?.date("now")
    }
}

/// What the store tells its own process after a transaction commits. (Other processes learn the
/// same through the database's signals, where it has them.)
public struct StoreSignals: Sendable {
    /// Jobs were enqueued.
    public var jobsEnqueued: @Sendable () -> Void
    /// Seats of the flight changed state.
    public var seatsChanged: @Sendable (FlightID) -> Void

    public init(jobsEnqueued: @escaping @Sendable () -> Void = {},
                seatsChanged: @escaping @Sendable (FlightID) -> Void = { _ in }) {
        self.jobsEnqueued = jobsEnqueued
        self.seatsChanged = seatsChanged
    }
}

extension SQLValue {
    static func id(_ uuid: UUID) -> SQLValue { .text(uuid.uuidString.lowercased()) }
}

extension SQLRow {
    /// A text column read through `parse` (an identifier, a state), or an error naming the
    /// column and what it should hold.
    func parsed<Value>(_ column: String, _ parse: (String) -> Value?, expected: String) throws -> Value {
        guard let value = parse(try string(column)) else { throw SQLRowError(column: column, expected: expected) }
        return value
    }

    func uuid(_ column: String) throws -> UUID { try parsed(column, UUID.init(uuidString:), expected: "a UUID") }

    func optionalUUID(_ column: String) throws -> UUID? {
        try optionalString(column).flatMap(UUID.init(uuidString:))
    }

    func seatID(_ column: String) throws -> SeatID { try parsed(column, SeatID.init, expected: "a seat id") }

    func flightID(_ column: String) throws -> FlightID { try parsed(column, FlightID.init, expected: "a flight id") }

    func hold() throws -> Hold {
        Hold(id: try uuid("hold_id"), flightID: try flightID("flight_id"), seatID: try seatID("seat_id"),
             passengerID: try uuid("passenger_id"),
             state: try parsed("state", HoldState.init(rawValue:), expected: "a hold state"),
             createdAt: try date("created_at"), expiresAt: try date("expires_at"), updatedAt: try date("updated_at"))
    }

    func flight() throws -> Flight {
        Flight(id: try flightID("flight_id"), flightNumber: try string("flight_number"),
               origin: try string("origin"), destination: try string("destination"),
               departureTime: try date("departure_time"), aircraftType: try string("aircraft_type"))
    }
}

extension Array where Element == SQLRow {
    func holds() throws -> [Hold] { try map { try $0.hold() } }
}
