import SkyHighStore

/// The production schema, one step per version.
public enum PostgresMigrations {
    /// Taken inside each migration transaction so that instances starting together migrate once.
    public static let lock = "SELECT pg_advisory_xact_lock(7355608)"

    static let types = SchemaTypes(timestamp: "TIMESTAMPTZ", serialKey: "BIGSERIAL PRIMARY KEY", tableOptions: "")

    public static let all: [Migration] = [
        Migration(version: 1, name: "flights, seats, bookings, sessions", statements: [
            """
            CREATE TABLE flights (
                flight_id TEXT PRIMARY KEY CHECK (flight_id ~ '^[A-Z0-9-]{3,40}$'),
                flight_number TEXT NOT NULL,
                origin TEXT NOT NULL CHECK (origin ~ '^[A-Z]{3}$'),
                destination TEXT NOT NULL CHECK (destination ~ '^[A-Z]{3}$'),
                departure_time TIMESTAMPTZ NOT NULL,
                aircraft_type TEXT NOT NULL,
                version BIGINT NOT NULL DEFAULT 0 CHECK (version >= 0),
                created_at TIMESTAMPTZ NOT NULL
            )
            """,
            """
            CREATE TABLE seats (
                flight_id TEXT NOT NULL REFERENCES flights (flight_id),
                seat_id TEXT NOT NULL CHECK (seat_id ~ '^[1-9][0-9]{0,2}[A-Z]$'),
                position INTEGER NOT NULL,
                cabin TEXT NOT NULL CHECK (cabin IN ('FIRST', 'BUSINESS', 'PREMIUM_ECONOMY', 'ECONOMY')),
                characteristics TEXT NOT NULL,
                PRIMARY KEY (flight_id, seat_id)
            )
            """,
            """
            CREATE TABLE bookings (
                booking_reference TEXT PRIMARY KEY CHECK (booking_reference ~ '^[A-Z0-9]{6}$'),
                flight_id TEXT NOT NULL REFERENCES flights (flight_id),
                created_at TIMESTAMPTZ NOT NULL
            )
            """,
            """
            CREATE TABLE passengers (
                passenger_id TEXT PRIMARY KEY,
                booking_reference TEXT NOT NULL REFERENCES bookings (booking_reference),
                position INTEGER NOT NULL,
                first_name TEXT NOT NULL,
                last_name TEXT NOT NULL,
                priority_tier TEXT CHECK (priority_tier IN ('PLATINUM', 'GOLD', 'SILVER', 'BRONZE'))
            )
            """,
            "CREATE INDEX passengers_by_booking ON passengers (booking_reference, position)",
            """
            CREATE TABLE sessions (
                token_hash TEXT PRIMARY KEY,
                booking_reference TEXT NOT NULL REFERENCES bookings (booking_reference),
                created_at TIMESTAMPTZ NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL
            )
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
                created_at TIMESTAMPTZ NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL,
                updated_at TIMESTAMPTZ NOT NULL,
                FOREIGN KEY (flight_id, seat_id) REFERENCES seats (flight_id, seat_id)
            )
            """,
            "CREATE UNIQUE INDEX holds_one_live_per_seat ON holds (flight_id, seat_id) WHERE state IN ('HELD', 'CONFIRMED')",
            "CREATE UNIQUE INDEX holds_one_held_per_passenger ON holds (flight_id, passenger_id) WHERE state = 'HELD'",
            "CREATE UNIQUE INDEX holds_one_confirmed_per_passenger ON holds (flight_id, passenger_id) WHERE state = 'CONFIRMED'",
            "CREATE INDEX holds_held_by_expiry ON holds (expires_at) WHERE state = 'HELD'",
            """
            CREATE TABLE flight_events (
                sequence BIGSERIAL PRIMARY KEY,
                flight_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                seat_id TEXT,
                hold_id TEXT,
                passenger_id TEXT,
                actor TEXT NOT NULL,
                from_state TEXT,
                to_state TEXT,
                version BIGINT,
                at TIMESTAMPTZ NOT NULL,
                detail TEXT
            )
            """,
            "CREATE INDEX flight_events_by_flight ON flight_events (flight_id, sequence)",
            """
            CREATE FUNCTION flight_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN RAISE EXCEPTION 'flight_events is append-only'; END
            $body$
            """,
            """
            CREATE TRIGGER flight_events_append_only BEFORE UPDATE OR DELETE ON flight_events
            FOR EACH ROW EXECUTE FUNCTION flight_events_append_only()
            """,
        ]),
    ] + SharedMigrations.steps(types) + [PostgresSeatWriteMigration.migration, SharedMigrations.money(types),
                                         PostgresTraceMigration.migration]
}
