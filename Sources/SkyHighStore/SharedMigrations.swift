import SkyHighCore

/// What differs between the drivers in the schema steps they share.
public struct SchemaTypes: Sendable {
    /// A point in time: `TIMESTAMPTZ`, or integer milliseconds since 1970.
    public let timestamp: String
    /// An increasing integer key: `BIGSERIAL PRIMARY KEY` or `INTEGER PRIMARY KEY AUTOINCREMENT`.
    public let serialKey: String
    /// Appended to `CREATE TABLE` (SQLite's `STRICT`).
    public let tableOptions: String

    public init(timestamp: String, serialKey: String, tableOptions: String) {
        self.timestamp = timestamp
        self.serialKey = serialKey
        self.tableOptions = tableOptions
    }
}

/// The schema steps from version 3 on, written once for both drivers (versions 1 and 2 differ:
/// PostgreSQL checks identifiers with regular expressions and guards the history with a PL/pgSQL
/// trigger).
public enum SharedMigrations {
    public static func steps(_ types: SchemaTypes) -> [Migration] {
        [
            Migration(version: 3, name: "idempotency keys", statements: [
                """
                CREATE TABLE idempotency_keys (
                    client_key TEXT NOT NULL,
                    route TEXT NOT NULL,
                    idem_key TEXT NOT NULL,
                    request_hash TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('PENDING', 'DONE')),
                    status INTEGER,
                    content_type TEXT,
                    body TEXT,
                    location TEXT,
                    created_at \(types.timestamp) NOT NULL,
                    PRIMARY KEY (client_key, route, idem_key)
                )\(types.tableOptions)
                """,
            ]),
            Migration(version: 4, name: "waitlist", statements: [
                """
                CREATE TABLE waitlist_entries (
                    sequence \(types.serialKey),
                    waitlist_id TEXT NOT NULL UNIQUE,
                    flight_id TEXT NOT NULL REFERENCES flights (flight_id),
                    passenger_id TEXT NOT NULL REFERENCES passengers (passenger_id),
                    cabin TEXT CHECK (cabin IN ('FIRST', 'BUSINESS', 'PREMIUM_ECONOMY', 'ECONOMY')),
                    seat_type TEXT NOT NULL CHECK (seat_type IN ('WINDOW', 'AISLE', 'ANY')),
                    seats TEXT NOT NULL,
                    priority_rank INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('WAITING', 'ASSIGNED', 'CANCELLED', 'EXPIRED')),
                    seat_id TEXT,
                    hold_id TEXT,
                    joined_at \(types.timestamp) NOT NULL,
                    updated_at \(types.timestamp) NOT NULL,
                    CHECK ((state = 'ASSIGNED') = (seat_id IS NOT NULL AND hold_id IS NOT NULL))
                )\(types.tableOptions)
                """,
                "CREATE UNIQUE INDEX waitlist_one_waiting_per_passenger ON waitlist_entries (flight_id, passenger_id) WHERE state = 'WAITING'",
                "CREATE INDEX waitlist_order ON waitlist_entries (flight_id, priority_rank, joined_at, sequence) WHERE state = 'WAITING'",
                "ALTER TABLE flight_events ADD COLUMN waitlist_id TEXT",
            ]),
            Migration(version: 5, name: "job queue", statements: [
                """
                CREATE TABLE jobs (
                    job_id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'DEAD')),
                    run_at \(types.timestamp) NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    max_attempts INTEGER NOT NULL CHECK (max_attempts > 0),
                    last_error TEXT,
                    locked_by TEXT,
                    lease_until \(types.timestamp),
                    request_id TEXT,
                    created_at \(types.timestamp) NOT NULL,
                    updated_at \(types.timestamp) NOT NULL,
                    CHECK ((state = 'RUNNING') = (locked_by IS NOT NULL AND lease_until IS NOT NULL))
                )\(types.tableOptions)
                """,
                "CREATE INDEX jobs_due ON jobs (run_at) WHERE state IN ('QUEUED', 'RETRYING')",
                "CREATE INDEX jobs_leased ON jobs (lease_until) WHERE state = 'RUNNING'",
                "CREATE INDEX jobs_by_state ON jobs (state)",
            ]),
            Migration(version: 6, name: "notification outbox", statements: [
                """
                CREATE TABLE notifications (
                    notification_id TEXT PRIMARY KEY,
                    passenger_id TEXT NOT NULL REFERENCES passengers (passenger_id),
                    flight_id TEXT NOT NULL REFERENCES flights (flight_id),
                    kind TEXT NOT NULL,
                    body TEXT NOT NULL,
                    created_at \(types.timestamp) NOT NULL,
                    delivered_at \(types.timestamp)
                )\(types.tableOptions)
                """,
                "CREATE INDEX notifications_by_passenger ON notifications (passenger_id, created_at)",
            ]),
            Migration(version: 7, name: "abuse incidents and blocks", statements: [
                """
                CREATE TABLE incidents (
                    incident_id TEXT PRIMARY KEY,
                    client_key TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    first_at \(types.timestamp) NOT NULL,
                    last_at \(types.timestamp) NOT NULL,
                    evidence TEXT NOT NULL,
                    blocked_until \(types.timestamp)
                )\(types.tableOptions)
                """,
                "CREATE INDEX incidents_by_time ON incidents (last_at)",
                """
                CREATE TABLE blocks (
                    client_key TEXT PRIMARY KEY,
                    blocked_until \(types.timestamp) NOT NULL,
                    incident_id TEXT REFERENCES incidents (incident_id)
                )\(types.tableOptions)
                """,
            ]),
            checkIns(types),
        ]
    }
}
