import SkyHighCore

extension SharedMigrations {
    /// Version 8: check-ins, their bags and payments, payment events seen (the webhook's
    /// deduplication), and the per-flight check-in sequence that boarding passes carry.
    static func checkIns(_ types: SchemaTypes) -> Migration {
        Migration(version: 8, name: "check-in, baggage and payments", statements: [
            "ALTER TABLE flights ADD COLUMN checkin_sequence INTEGER NOT NULL DEFAULT 0",
            """
            CREATE TABLE checkins (
                checkin_id TEXT PRIMARY KEY,
                flight_id TEXT NOT NULL REFERENCES flights (flight_id),
                passenger_id TEXT NOT NULL REFERENCES passengers (passenger_id),
                state TEXT NOT NULL CHECK (state IN ('IN_PROGRESS', 'WAITING_FOR_PAYMENT', 'COMPLETED', 'CANCELLED')),
                failure_reason TEXT,
                sequence_number INTEGER,
                revision INTEGER NOT NULL CHECK (revision >= 0),
                created_at \(types.timestamp) NOT NULL,
                updated_at \(types.timestamp) NOT NULL,
                CHECK (state <> 'COMPLETED' OR sequence_number IS NOT NULL)
            )\(types.tableOptions)
            """,
            """
            CREATE UNIQUE INDEX checkins_one_open_per_passenger ON checkins (flight_id, passenger_id)
            WHERE state <> 'CANCELLED'
            """,
            """
            CREATE UNIQUE INDEX checkins_sequence ON checkins (flight_id, sequence_number)
            WHERE sequence_number IS NOT NULL
            """,
            """
            CREATE TABLE checkin_bags (
                checkin_id TEXT NOT NULL REFERENCES checkins (checkin_id),
                tag TEXT NOT NULL,
                declared_grams INTEGER CHECK (declared_grams > 0),
                weight_grams INTEGER NOT NULL CHECK (weight_grams >= 0),
                added_at \(types.timestamp) NOT NULL,
                PRIMARY KEY (checkin_id, tag)
            )\(types.tableOptions)
            """,
            """
            CREATE TABLE payments (
                payment_intent_id TEXT PRIMARY KEY,
                checkin_id TEXT NOT NULL REFERENCES checkins (checkin_id),
                position INTEGER NOT NULL,
                amount INTEGER NOT NULL CHECK (amount > 0),
                currency TEXT NOT NULL CHECK (length(currency) = 3),
                status TEXT NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
                failure_reason TEXT,
                refund_due INTEGER NOT NULL CHECK (refund_due IN (0, 1)),
                created_at \(types.timestamp) NOT NULL,
                updated_at \(types.timestamp) NOT NULL,
                UNIQUE (checkin_id, position),
                CHECK (refund_due = 0 OR status = 'SUCCEEDED')
            )\(types.tableOptions)
            """,
            "CREATE INDEX payments_pending ON payments (created_at) WHERE status = 'PENDING'",
            """
            CREATE TABLE payment_events (
                event_id TEXT PRIMARY KEY,
                payment_intent_id TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('SUCCEEDED', 'FAILED')),
                failure_reason TEXT,
                outcome TEXT NOT NULL CHECK (outcome IN ('APPLIED', 'UNKNOWN_INTENT')),
                received_at \(types.timestamp) NOT NULL
            )\(types.tableOptions)
            """,
            "ALTER TABLE flight_events ADD COLUMN checkin_id TEXT",
            "CREATE INDEX flight_events_by_checkin ON flight_events (checkin_id, sequence) WHERE checkin_id IS NOT NULL",
        ])
    }
}
