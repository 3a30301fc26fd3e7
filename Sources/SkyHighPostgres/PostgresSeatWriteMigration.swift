import SkyHighStore

/// Version 9 on PostgreSQL: seat writes in one round trip, with no shared per-flight row.
///
/// - Seat-changing events carry the id of the transaction that wrote them
///   (`pg_current_xact_id()`) as their version, instead of a counter on the flight's row that
///   every seat change on the flight had to lock and wait for. Readers only take events older
///   than the oldest transaction still running (`pg_snapshot_xmin`), which never gain a
///   neighbour below them: a reader that resumes after a version never misses a committed change.
/// - `skyhigh_place_hold`, `skyhigh_confirm_hold` and `skyhigh_cancel_hold` make the common
///   hold, confirm and cancel in one statement, and `skyhigh_expire_holds` a batch of the sweep. They apply ``HoldRules`` as the Swift path does
///   (the store conformance suite runs both) and answer `fallback` for the rare case they leave
///   to it (cancelling a confirmed seat whose check-in has completed).
enum PostgresSeatWriteMigration {
    static let migration = Migration(version: 9, name: "seat writes without a hot row", statements: [
        "CREATE INDEX flight_events_by_version ON flight_events (flight_id, version) WHERE version IS NOT NULL",
        // The version of everything a transaction writes: its own id, assigned now if it has none.
        """
        CREATE FUNCTION skyhigh_transaction_version() RETURNS bigint LANGUAGE sql VOLATILE AS
        $body$ SELECT pg_current_xact_id()::text::bigint $body$
        """,
        // The versions below this are final: every transaction that could write them has ended.
        """
        CREATE FUNCTION skyhigh_settled_version() RETURNS bigint LANGUAGE sql STABLE AS
        $body$ SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint $body$
        """,
        """
        CREATE FUNCTION skyhigh_enqueue(p_kind text, p_payload text, p_now timestamptz, p_attempts bigint,
                                        p_request text) RETURNS void LANGUAGE sql AS $body$
            INSERT INTO jobs (job_id, kind, payload, state, run_at, attempts, max_attempts, request_id,
                              created_at, updated_at)
            VALUES (gen_random_uuid()::text, p_kind, p_payload, 'QUEUED', p_now, 0, p_attempts, p_request,
                    p_now, p_now)
        $body$
        """,
        // One hold transition: its event, and what must follow it (the seat offered to the
        // waitlist when it frees up; the passenger told when the hold lapsed). Payloads are the
        // compact, key-sorted JSON the Swift side writes; every value is a checked identifier.
        """
        CREATE FUNCTION skyhigh_hold_transition(h holds, p_kind text, p_from text, p_actor text, p_now timestamptz,
                                                p_attempts bigint, p_request text) RETURNS void
        LANGUAGE plpgsql AS $body$
        DECLARE
            v_notification text;
        BEGIN
            INSERT INTO flight_events (flight_id, kind, seat_id, hold_id, passenger_id, actor, from_state,
                                       to_state, version, at)
            VALUES (h.flight_id, p_kind, h.seat_id, h.hold_id, h.passenger_id, p_actor, p_from, h.state,
                    skyhigh_transaction_version(), p_now);
            IF p_from IN ('HELD', 'CONFIRMED') AND h.state IN ('CANCELLED', 'EXPIRED') THEN
                PERFORM skyhigh_enqueue('waitlist.offer-seat',
                    '{"flightId":"' || h.flight_id || '","seatId":"' || h.seat_id || '"}',
                    p_now, p_attempts, p_request);
            END IF;
            IF p_kind = 'HOLD_EXPIRED' THEN
                v_notification := gen_random_uuid()::text;
                INSERT INTO notifications (notification_id, passenger_id, flight_id, kind, body, created_at,
                                           delivered_at)
                VALUES (v_notification, h.passenger_id, h.flight_id, 'HOLD_EXPIRED',
                        '{"flightId":"' || h.flight_id || '","holdId":"' || h.hold_id
                        || '","kind":"HOLD_EXPIRED","notificationId":"' || v_notification
                        || '","passengerId":"' || h.passenger_id || '","seatId":"' || h.seat_id || '"}',
                        p_now, NULL);
                PERFORM skyhigh_enqueue('notification.deliver', '{"notificationId":"' || v_notification || '"}',
                                        p_now, p_attempts, p_request);
            END IF;
        END
        $body$
        """,
        """
        CREATE FUNCTION skyhigh_seats_changed(p_flight text) RETURNS void LANGUAGE sql AS $body$
            SELECT pg_notify('skyhigh_jobs', ''), pg_notify('skyhigh_seats', p_flight)
        $body$
        """,
        // What every seat-write function answers, row by row: an outcome and a hold (all NULL
        // for a refusal about no hold).
        """
        CREATE FUNCTION skyhigh_hold_answer(p_outcome text, h holds)
        RETURNS TABLE (outcome text, hold_id text, flight_id text, seat_id text, passenger_id text, state text,
                       created_at timestamptz, expires_at timestamptz, updated_at timestamptz)
        LANGUAGE sql IMMUTABLE AS $body$
            SELECT p_outcome, h.hold_id, h.flight_id, h.seat_id, h.passenger_id, h.state, h.created_at, h.expires_at,
                   h.updated_at
        $body$
        """,
        """
        CREATE FUNCTION skyhigh_place_hold(p_flight text, p_seat text, p_passenger text, p_hold text,
                                           p_now timestamptz, p_expires timestamptz, p_attempts bigint,
                                           p_request text)
        RETURNS TABLE (outcome text, hold_id text, flight_id text, seat_id text, passenger_id text, state text,
                       created_at timestamptz, expires_at timestamptz, updated_at timestamptz)
        LANGUAGE plpgsql AS $body$
        DECLARE
            v_departure timestamptz;
            v_holder text;
            v_actor text := 'passenger:' || p_passenger;
            h holds;
        BEGIN
            SELECT f.departure_time INTO v_departure FROM flights f WHERE f.flight_id = p_flight;
            IF NOT FOUND THEN
                RETURN QUERY SELECT * FROM skyhigh_hold_answer('flight-not-found', NULL::holds);
                RETURN;
            END IF;
            IF v_departure <= p_now THEN
                RETURN QUERY SELECT * FROM skyhigh_hold_answer('flight-departed', NULL::holds);
                RETURN;
            END IF;
            PERFORM 1 FROM seats s WHERE s.flight_id = p_flight AND s.seat_id = p_seat;
            IF NOT FOUND THEN
                RETURN QUERY SELECT * FROM skyhigh_hold_answer('seat-not-found', NULL::holds);
                RETURN;
            END IF;
            -- Answered without writing when the seat is plainly taken; under a race the unique
            -- index on live holds still decides, and its error undoes the whole statement.
            SELECT l.passenger_id INTO v_holder FROM holds l
            WHERE l.flight_id = p_flight AND l.seat_id = p_seat
              AND (l.state = 'CONFIRMED' OR (l.state = 'HELD' AND l.expires_at > p_now));
            IF FOUND THEN
                RETURN QUERY SELECT * FROM skyhigh_hold_answer(
                    CASE WHEN v_holder = p_passenger THEN 'already-holding' ELSE 'seat-unavailable' END, NULL::holds);
                RETURN;
            END IF;
            -- Lapsed holds on the seat and of the passenger count as gone: expire them now.
            FOR h IN UPDATE holds x SET state = 'EXPIRED', updated_at = p_now
                     WHERE x.flight_id = p_flight AND x.state = 'HELD' AND x.expires_at <= p_now
                       AND (x.seat_id = p_seat OR x.passenger_id = p_passenger)
                     RETURNING x.* LOOP
                PERFORM skyhigh_hold_transition(h, 'HOLD_EXPIRED', 'HELD', 'system:expiry', p_now, p_attempts, p_request);
                RETURN QUERY SELECT * FROM skyhigh_hold_answer('expired', h);
            END LOOP;
            -- The passenger's other HELD hold is given up for this one.
            FOR h IN UPDATE holds x SET state = 'CANCELLED', updated_at = p_now
                     WHERE x.flight_id = p_flight AND x.passenger_id = p_passenger AND x.state = 'HELD'
                     RETURNING x.* LOOP
                PERFORM skyhigh_hold_transition(h, 'HOLD_RELEASED', 'HELD', v_actor, p_now, p_attempts, p_request);
                RETURN QUERY SELECT * FROM skyhigh_hold_answer('released', h);
            END LOOP;
            INSERT INTO holds AS x (hold_id, flight_id, seat_id, passenger_id, state, created_at, expires_at, updated_at)
            VALUES (p_hold, p_flight, p_seat, p_passenger, 'HELD', p_now, p_expires, p_now)
            RETURNING x.* INTO h;
            PERFORM skyhigh_hold_transition(h, 'HOLD_PLACED', NULL, v_actor, p_now, p_attempts, p_request);
            PERFORM skyhigh_seats_changed(p_flight);
            RETURN QUERY SELECT * FROM skyhigh_hold_answer('placed', h);
        END
        $body$
        """,
        """
        CREATE FUNCTION skyhigh_confirm_hold(p_hold text, p_passengers text[], p_now timestamptz, p_attempts bigint,
                                             p_request text)
        RETURNS TABLE (outcome text, hold_id text, flight_id text, seat_id text, passenger_id text, state text,
                       created_at timestamptz, expires_at timestamptz, updated_at timestamptz)
        LANGUAGE plpgsql AS $body$
        DECLARE
            h holds;
            r holds;
        BEGIN
            SELECT x.* INTO h FROM holds x WHERE x.hold_id = p_hold FOR UPDATE;
            IF NOT FOUND OR NOT (h.passenger_id = ANY (p_passengers))
               OR (h.state = 'HELD' AND h.expires_at <= p_now) OR h.state <> 'HELD' THEN
                RETURN QUERY SELECT * FROM skyhigh_hold_answer(CASE
                        WHEN h.hold_id IS NULL THEN 'hold-not-found'
                        WHEN NOT (h.passenger_id = ANY (p_passengers)) THEN 'not-yours'
                        WHEN h.state = 'EXPIRED' OR h.state = 'HELD' THEN 'hold-expired'
                        ELSE 'hold-not-held' END, h);
                RETURN;
            END IF;
            -- A confirmed seat change gives up the seat confirmed before.
            FOR r IN UPDATE holds x SET state = 'CANCELLED', updated_at = p_now
                     WHERE x.flight_id = h.flight_id AND x.passenger_id = h.passenger_id AND x.state = 'CONFIRMED'
                     RETURNING x.* LOOP
                PERFORM skyhigh_hold_transition(r, 'HOLD_RELEASED', 'CONFIRMED', 'passenger:' || h.passenger_id,
                                                p_now, p_attempts, p_request);
                RETURN QUERY SELECT * FROM skyhigh_hold_answer('released', r);
            END LOOP;
            UPDATE holds x SET state = 'CONFIRMED', updated_at = p_now WHERE x.hold_id = p_hold RETURNING x.* INTO h;
            PERFORM skyhigh_hold_transition(h, 'HOLD_CONFIRMED', 'HELD', 'passenger:' || h.passenger_id,
                                            p_now, p_attempts, p_request);
            PERFORM skyhigh_seats_changed(h.flight_id);
            RETURN QUERY SELECT * FROM skyhigh_hold_answer('confirmed', h);
        END
        $body$
        """,
        """
        CREATE FUNCTION skyhigh_cancel_hold(p_hold text, p_passengers text[], p_now timestamptz, p_attempts bigint,
                                            p_request text)
        RETURNS TABLE (outcome text, hold_id text, flight_id text, seat_id text, passenger_id text, state text,
                       created_at timestamptz, expires_at timestamptz, updated_at timestamptz)
        LANGUAGE plpgsql AS $body$
        DECLARE
            h holds;
            v_departure timestamptz;
            v_outcome text;
            v_from text;
        BEGIN
            SELECT x.* INTO h FROM holds x WHERE x.hold_id = p_hold FOR UPDATE;
            v_from := h.state;
            IF FOUND THEN
                SELECT f.departure_time INTO v_departure FROM flights f WHERE f.flight_id = h.flight_id;
            END IF;
            v_outcome := CASE
                WHEN h.hold_id IS NULL THEN 'hold-not-found'
                WHEN NOT (h.passenger_id = ANY (p_passengers)) THEN 'not-yours'
                WHEN v_departure <= p_now THEN 'flight-departed'
                WHEN h.state = 'EXPIRED' OR (h.state = 'HELD' AND h.expires_at <= p_now) THEN 'hold-expired'
                WHEN h.state NOT IN ('HELD', 'CONFIRMED') THEN 'hold-not-active'
                -- A completed check-in loses its seat: the Swift path reopens it.
                WHEN h.state = 'CONFIRMED' AND EXISTS (
                    SELECT 1 FROM checkins c
                    WHERE c.flight_id = h.flight_id AND c.passenger_id = h.passenger_id AND c.state = 'COMPLETED')
                    THEN 'fallback'
                END;
            IF v_outcome IS NOT NULL THEN
                RETURN QUERY SELECT * FROM skyhigh_hold_answer(v_outcome, h);
                RETURN;
            END IF;
            UPDATE holds x SET state = 'CANCELLED', updated_at = p_now WHERE x.hold_id = p_hold
            RETURNING x.* INTO h;
            PERFORM skyhigh_hold_transition(h, 'HOLD_CANCELLED', v_from, 'passenger:' || h.passenger_id,
                                            p_now, p_attempts, p_request);
            PERFORM skyhigh_seats_changed(h.flight_id);
            RETURN QUERY SELECT * FROM skyhigh_hold_answer('cancelled', h);
        END
        $body$
        """,
        // The expiry sweep: a batch of lapsed holds, oldest first, skipping rows another
        // sweeper or writer has locked; one statement however many flights the batch spans.
        """
        CREATE FUNCTION skyhigh_expire_holds(p_now timestamptz, p_limit bigint, p_attempts bigint, p_request text)
        RETURNS TABLE (outcome text, hold_id text, flight_id text, seat_id text, passenger_id text, state text,
                       created_at timestamptz, expires_at timestamptz, updated_at timestamptz)
        LANGUAGE plpgsql AS $body$
        DECLARE
            h holds;
            v_flights text[] := '{}';
            v_flight text;
        BEGIN
            FOR h IN UPDATE holds x SET state = 'EXPIRED', updated_at = p_now
                     WHERE x.hold_id IN (
                         SELECT l.hold_id FROM holds l WHERE l.state = 'HELD' AND l.expires_at <= p_now
                         ORDER BY l.expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED)
                     RETURNING x.* LOOP
                PERFORM skyhigh_hold_transition(h, 'HOLD_EXPIRED', 'HELD', 'system:expiry', p_now, p_attempts,
                                                p_request);
                v_flights := array_append(v_flights, h.flight_id);
                RETURN QUERY SELECT * FROM skyhigh_hold_answer('expired', h);
            END LOOP;
            FOR v_flight IN SELECT DISTINCT f FROM unnest(v_flights) AS f LOOP
                PERFORM skyhigh_seats_changed(v_flight);
            END LOOP;
        END
        $body$
        """,
    ])
}
