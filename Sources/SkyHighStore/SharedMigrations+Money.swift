import SkyHighCore

extension SharedMigrations {
    /// Version 10, for both drivers after their own version 9: intents flagged for follow-up (an
    /// intent created for a change that did not commit), a job's postponements while an external
    /// service is down (they do not use up its attempts), and the indexes the retention purge and
    /// the repair read by.
    public static func money(_ types: SchemaTypes) -> Migration {
        Migration(version: 10, name: "payment follow-ups, job postponements, retention indexes", statements: [
            """
            CREATE TABLE payment_followups (
                payment_intent_id TEXT PRIMARY KEY,
                checkin_id TEXT NOT NULL,
                amount INTEGER NOT NULL CHECK (amount > 0),
                currency TEXT NOT NULL CHECK (length(currency) = 3),
                reason TEXT NOT NULL,
                reported_status TEXT CHECK (reported_status IN ('SUCCEEDED', 'FAILED')),
                refund_due INTEGER NOT NULL DEFAULT 0 CHECK (refund_due IN (0, 1)),
                created_at \(types.timestamp) NOT NULL,
                updated_at \(types.timestamp) NOT NULL
            )\(types.tableOptions)
            """,
            "ALTER TABLE jobs ADD COLUMN postponements INTEGER NOT NULL DEFAULT 0 CHECK (postponements >= 0)",
            "CREATE INDEX sessions_by_expiry ON sessions (expires_at)",
            "CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)",
            "CREATE INDEX jobs_finished ON jobs (updated_at) WHERE state = 'SUCCEEDED'",
            "CREATE INDEX notifications_delivered ON notifications (delivered_at) WHERE delivered_at IS NOT NULL",
            "CREATE INDEX payment_events_by_age ON payment_events (received_at)",
            "CREATE INDEX waitlist_waiting_flights ON waitlist_entries (flight_id) WHERE state = 'WAITING'",
        ])
    }
}
