import SkyHighStore

/// The embedded store's schema, one step per version. Times are integer milliseconds since 1970.
public enum SQLiteMigrations {
    static let types = SchemaTypes(timestamp: "INTEGER", serialKey: "INTEGER PRIMARY KEY AUTOINCREMENT", tableOptions: " STRICT")

    public static let all: [Migration] = [
        Migration(version: 1, name: "flights, seats, bookings, sessions", statements: [
            """
            CREATE TABLE flights (
                flight_id TEXT PRIMARY KEY CHECK (length(flight_id) BETWEEN 3 AND 40),
                flight_number TEXT NOT NULL,
                origin TEXT NOT NULL CHECK (length(origin) = 3),
                destination TEXT NOT NULL CHECK (length(destination) = 3),
                departure_time INTEGER NOT NULL,
                aircraft_type TEXT NOT NULL,
                version INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0),
                created_at INTEGER NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE seats (
                flight_id TEXT NOT NULL REFERENCES flights (flight_id),
                seat_id TEXT NOT NULL,
                position INTEGER NOT NULL,
                cabin TEXT NOT NULL CHECK (cabin IN ('FIRST', 'BUSINESS', 'PREMIUM_ECONOMY', 'ECONOMY')),
                characteristics TEXT NOT NULL,
                PRIMARY KEY (flight_id, seat_id)
            ) STRICT
            """,
            """
            CREATE TABLE bookings (
                booking_reference TEXT PRIMARY KEY CHECK (length(booking_reference) = 6),
                flight_id TEXT NOT NULL REFERENCES flights (flight_id),
                created_at INTEGER NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE passengers (
                passenger_id TEXT PRIMARY KEY,
                booking_reference TEXT NOT NULL REFERENCES bookings (booking_reference),
                position INTEGER NOT NULL,
                first_name TEXT NOT NULL,
                last_name TEXT NOT NULL,
                priority_tier TEXT CHECK (priority_tier IN ('PLATINUM', 'GOLD', 'SILVER', 'BRONZE'))
            ) STRICT
            """,
            "CREATE INDEX passengers_by_booking ON passengers (booking_reference, position)",
            """
            CREATE TABLE sessions (
                token_hash TEXT PRIMARY KEY,
                booking_reference TEXT NOT NULL REFERENCES bookings (booking_reference),
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            ) STRICT
            """,
        ]),
        Migration(version: 2, name: "holds and the flight history", statements: [
            """
            CREATE TABLE holds (
                hold_id TEXT PRIMARY KEY,
                flight_id TEXT NOT NULL,
                seat_id TEXT NOT NULL,
                passenger_id TEXT NOT NULL REFERENCES passengers (passenger_id),
                state TEXT NOT NULL CHECK (state IN ('HELD', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                FOREIGN KEY (flight_id, seat_id) REFERENCES seats (flight_id, seat_id)
            ) STRICT
            """,
            "CREATE UNIQUE INDEX holds_one_live_per_seat ON holds (flight_id, seat_id) WHERE state IN ('HELD', 'CONFIRMED')",
            "CREATE UNIQUE INDEX holds_one_held_per_passenger ON holds (flight_id, passenger_id) WHERE state = 'HELD'",
            "CREATE UNIQUE INDEX holds_one_confirmed_per_passenger ON holds (flight_id, passenger_id) WHERE state = 'CONFIRMED'",
            "CREATE INDEX holds_held_by_expiry ON holds (expires_at) WHERE state = 'HELD'",
            """
            CREATE TABLE flight_events (
                sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                flight_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                seat_id TEXT,
                hold_id TEXT,
                passenger_id TEXT,
                actor TEXT NOT NULL,
                from_state TEXT,
                to_state TEXT,
                version INTEGER,
                at INTEGER NOT NULL,
                detail TEXT
            )
            """,
            "CREATE INDEX flight_events_by_flight ON flight_events (flight_id, sequence)",
            """
            CREATE TRIGGER flight_events_no_update BEFORE UPDATE ON flight_events
            BEGIN SELECT RAISE(ABORT, 'flight_events is append-only'); END
            """,
            """
            CREATE TRIGGER flight_events_no_delete BEFORE DELETE ON flight_events
            BEGIN SELECT RAISE(ABORT, 'flight_events is append-only'); END
            """,
        ]),
    ] + SharedMigrations.steps(types) + [
        // Seat changes by version, for live seat-change streams (the counter on the flight's row
        // stays: one writer at a time, see `SeatVersioning.flightCounter`).
        Migration(version: 9, name: "seat events by version", statements: [
            "CREATE INDEX flight_events_by_version ON flight_events (flight_id, version) WHERE version IS NOT NULL",
        ]),
        SharedMigrations.money(types),
        SharedMigrations.jobTraceContext,
    ]
}
