#!/usr/bin/env bash
# Usage: scripts/compose-smoke.sh [--binary PATH] [--time-limit SECONDS]
#
# Smoke test of the deployment set in docker-compose.yml, run as plain processes on 127.0.0.1
# (no Docker): a throwaway PostgreSQL (scripts/with-postgres.sh), a redis-server, `skyhigh
# migrate`, `skyhigh mock-services`, two `skyhigh serve` instances using the mocks over HTTP and
# counting abuse through Redis, HAProxy in front of them (round robin, health-checked), and one
# `skyhigh worker`. Once each is ready it walks a passenger through real HTTP: a flight and a
# booking through the admin API, sign-in through the balancer, a seat held and confirmed on
# instance 1 and seen on instance 2's seat map, a check-in with a 30 kg bag (50.00 EUR to pay),
# the payment settled on the mock Payment service (which sends the signed webhook through the
# balancer), the check-in COMPLETED, its boarding pass, /metrics (admin token only), and a bot
# spread over both instances by the balancer that both then block. Finally it stops every
# process it started (SIGTERM; HAProxy's graceful SIGUSR1) and checks that each exits 0 within
# 15 s.
#
# Prints PASS, FAIL or SKIP per step and exits non-zero on any failure. Every process it starts
# is stopped by its PID, and its temporary folder removed, on every exit path. The run (after
# the build) is bounded by --time-limit, 120 s by default.
#
#   --binary PATH       the skyhigh binary to test, used as it is; without it the script runs
#                       `swift build --product skyhigh` and uses the debug binary
#   --time-limit SECS   give up (FAIL) after this long
#
# Needs curl and python3; Debian's redis-server and haproxy are installed if missing (as root).
# With SKYHIGH_TEST_POSTGRES_URL set (a maintenance database URL, as
# scripts/with-postgres.sh exports), it creates and drops its own database on that server
# instead of starting one, and needs psql.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=lib/postgres.sh
source "$SCRIPT_DIR/lib/postgres.sh"
# shellcheck source=lib/processes.sh
source "$SCRIPT_DIR/lib/processes.sh"

BINARY=""
TIME_LIMIT=120
STOP_LIMIT=15

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while [ "$#" -gt 0 ]; do
    case "$1" in
        --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
        --binary=*) BINARY=${1#*=}; shift ;;
        --time-limit) TIME_LIMIT=${2:?--time-limit needs seconds}; shift 2 ;;
        --time-limit=*) TIME_LIMIT=${1#*=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "compose-smoke: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$TIME_LIMIT" in
    '' | *[!0-9]*) echo "compose-smoke: --time-limit must be a whole number of seconds" >&2; exit 2 ;;
esac

for tool in curl python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL  $tool is required"
        exit 1
    fi
done

# --- redis-server and haproxy, from Debian's packages if missing ---------------------------------
# install_package BINARY PACKAGE: installs PACKAGE when BINARY is not on PATH, keeping its service
# from starting (a policy-rc.d that refuses service starts, removed again afterwards).
install_package() {
    command -v "$1" >/dev/null 2>&1 && return 0
    [ -x "/usr/sbin/$1" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "FAIL  $1 is required (apt-get install -y $2)"
        exit 1
    fi
    echo "compose-smoke: $1 not found; installing Debian's $2 package"
    local policy=/usr/sbin/policy-rc.d added=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        added=1
    fi
    local status=0
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2"; } \
        </dev/null >"${TMPDIR:-/tmp}/skyhigh-smoke-apt.$$.log" 2>&1 || status=$?
    if [ "$added" -eq 1 ]; then rm -f "$policy"; fi
    if [ "$status" -ne 0 ]; then
        tail -n 20 "${TMPDIR:-/tmp}/skyhigh-smoke-apt.$$.log" >&2
        rm -f "${TMPDIR:-/tmp}/skyhigh-smoke-apt.$$.log"
        echo "FAIL  apt-get install $2 failed"
        exit 1
    fi
    rm -f "${TMPDIR:-/tmp}/skyhigh-smoke-apt.$$.log"
    # The package's own service is not wanted: the smoke test runs its own process.
    if [ "$1" = redis-server ] && [ -s /run/redis/redis-server.pid ]; then
        kill "$(cat /run/redis/redis-server.pid)" 2>/dev/null || true
    fi
}
install_package redis-server redis-server
install_package haproxy haproxy
REDIS_SERVER=$(command -v redis-server || echo /usr/bin/redis-server)
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)

# --- the binary ----------------------------------------------------------------------------------
skyhigh_binary compose-smoke "$REPO_ROOT"

# --- PostgreSQL: a throwaway server unless one was given ------------------------------------------
if [ -z "${SKYHIGH_TEST_POSTGRES_URL:-}" ]; then
    if ! skyhigh_find_pg_bin >/dev/null 2>&1; then
        echo "FAIL  postgres: no PostgreSQL server binaries found (apt-get install -y postgresql, or set PG_BIN)"
        exit 1
    fi
    exec "$SCRIPT_DIR/with-postgres.sh" bash "$SCRIPT_DIR/compose-smoke.sh" --binary "$BINARY" --time-limit "$TIME_LIMIT"
fi

run_begin compose-smoke "$TIME_LIMIT"
DATABASE=""
PSQL=""
run_cleanup_hook() {
    if [ -n "$DATABASE" ] && [ -n "$PSQL" ]; then
        "$PSQL" -q -X "$SKYHIGH_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $DATABASE" >/dev/null 2>&1 || true
    fi
}

# field PATH: a member of the last answer's JSON, by a dotted path (`passengers.0.passengerId`);
# empty if absent.
field() {
    python3 - "$WORK/body" "$1" <<'PY'
import json, sys
try:
    value = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
for part in filter(None, sys.argv[2].split(".")):
    if isinstance(value, list) and part.isdigit() and int(part) < len(value):
        value = value[int(part)]
    elif isinstance(value, dict):
        value = value.get(part)
    else:
        value = None
    if value is None:
        break
if value is not None:
    print(json.dumps(value) if isinstance(value, (dict, list, bool)) else value)
PY
}

# seat_state SEAT: the seat's state in the last answer's seat map.
seat_state() {
    python3 - "$WORK/body" "$1" <<'PY'
import json, sys
try:
    seatmap = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
for cabin in seatmap.get("cabins", []):
    for row in cabin.get("rows", []):
        for seat in row.get("seats", []):
            if seat.get("seatId") == sys.argv[2]:
                print(seat.get("state"))
PY
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# --- the processes -------------------------------------------------------------------------------
echo "compose-smoke: binary $BINARY"
echo "compose-smoke: logs and data in $WORK (removed at the end)"

DATABASE="skyhigh_smoke_$$"
if command -v psql >/dev/null 2>&1; then
    PSQL=$(command -v psql)
elif PG_DIR=$(skyhigh_find_pg_bin 2>/dev/null) && [ -x "$PG_DIR/psql" ]; then
    PSQL="$PG_DIR/psql"
else
    DATABASE=""
    fail "postgres: database" "psql is needed to create the test database (apt-get install -y postgresql-client)"
fi
if ! "$PSQL" -q -X "$SKYHIGH_TEST_POSTGRES_URL" -c "CREATE DATABASE $DATABASE" >"$WORK/psql.log" 2>&1; then
    DATABASE=""
    fail "postgres: database" "CREATE DATABASE failed: $(tr '\n' ' ' <"$WORK/psql.log")"
fi
DATABASE_URL="${SKYHIGH_TEST_POSTGRES_URL%/*}/$DATABASE"
pass "postgres: database $DATABASE on ${SKYHIGH_TEST_POSTGRES_URL%/*}"

ADMIN_TOKEN="smoke-admin-token-$(date +%s)-$$"
WEBHOOK_SECRET="smoke-webhook-secret-$(date +%s)-$$"
MOCK_PORT=$(free_port)
API1_PORT=$(free_port)
API2_PORT=$(free_port)
LB_PORT=$(free_port)
MOCK="http://127.0.0.1:$MOCK_PORT"
API1="http://127.0.0.1:$API1_PORT"
API2="http://127.0.0.1:$API2_PORT"
LB="http://127.0.0.1:$LB_PORT"

# What every skyhigh process shares, as in docker-compose.yml.
export SKYHIGH_DATABASE_URL="$DATABASE_URL"
export SKYHIGH_ADMIN_TOKEN="$ADMIN_TOKEN"
export SKYHIGH_WEBHOOK_SECRET="$WEBHOOK_SECRET"
export SKYHIGH_HOST=127.0.0.1
export SKYHIGH_LOG_LEVEL=info
export SKYHIGH_WEIGHT_SERVICE_URL="$MOCK"
export SKYHIGH_PAYMENT_SERVICE_URL="$MOCK"

# migrate: a one-off that must finish with 0, before anything else starts.
start migrate migrate
wait_exit "$(pid_of migrate)" 60 || fail "migrate" "still running after 60 s"
[ "$EXIT_STATUS" -eq 0 ] || fail "migrate" "exited with $EXIT_STATUS: $(tail -n 5 "$WORK/migrate.log" | tr '\n' ' ')"
pass "migrate: exited 0"
# It has been waited for: keep it out of the shutdown checks.
PIDS=("${PIDS[@]:1}")
NAMES=("${NAMES[@]:1}")
SIGNALS=("${SIGNALS[@]:1}")

# Redis: the abuse guard's shared counters.
REDIS_PORT=$(free_port)
start_program redis TERM "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$WORK" --loglevel warning
deadline=$((SECONDS + 15))
until python3 - "$REDIS_PORT" <<'PY' 2>/dev/null
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
    s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
PY
do
    running "$(pid_of redis)" || fail "redis ready" "redis-server exited: $(tail -n 5 "$WORK/redis.log" | tr '\n' ' ')"
    [ "$SECONDS" -lt "$deadline" ] || fail "redis ready" "no PONG on port $REDIS_PORT within 15 s"
    sleep 0.1
done
pass "redis ready: redis://127.0.0.1:$REDIS_PORT"
export SKYHIGH_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
# The balancer (and this script, naming test clients) is a trusted proxy; the bot rule is small
# and its window wide, so the bot check below is quick and cannot miss on a loaded machine.
export SKYHIGH_TRUSTED_PROXIES=127.0.0.1
export SKYHIGH_ABUSE_SEATMAP_LIMIT=5
export SKYHIGH_ABUSE_WINDOW_SECONDS=60

SKYHIGH_MOCK_HOST=127.0.0.1 SKYHIGH_MOCK_PORT=$MOCK_PORT SKYHIGH_MOCK_WEBHOOK_URL="$LB/payments/webhook" \
    start mock-services mock-services
wait_http mock-services "$MOCK/health"

SKYHIGH_PORT=$API1_PORT start api-1 serve
SKYHIGH_PORT=$API2_PORT start api-2 serve
start worker worker
wait_http api-1 "$API1/health/ready"
wait_http api-2 "$API2/health/ready"

# HAProxy in front of both, as deploy/haproxy.cfg configures it for docker-compose.yml.
cat >"$WORK/haproxy.cfg" <<CFG
global
    log stdout format raw local0
defaults
    mode http
    log global
    option forwardfor
    timeout connect 5s
    timeout client 65s
    timeout server 65s
    timeout tunnel 1h
    default-server check inter 1s fall 2 rise 2
frontend api
    bind 127.0.0.1:$LB_PORT
    monitor-uri /lb-health
    default_backend skyhigh
backend skyhigh
    balance roundrobin
    option httpchk GET /health/ready
    http-check expect status 200
    server api-1 127.0.0.1:$API1_PORT
    server api-2 127.0.0.1:$API2_PORT
CFG
start_program haproxy USR1 "$HAPROXY" -db -f "$WORK/haproxy.cfg"
wait_http haproxy "$LB/health/ready"

deadline=$((SECONDS + 30))
# The worker serves no HTTP: it is ready once it logs that its store is ready (its "worker
# started" line is on stdout, which is buffered when it goes to a file).
until grep -q -e 'store ready' -e 'worker started' "$WORK/worker.log" 2>/dev/null; do
    running "$(pid_of worker)" || fail "worker running" "the worker exited: $(tail -n 5 "$WORK/worker.log" | tr '\n' ' ')"
    [ "$SECONDS" -lt "$deadline" ] || fail "worker running" "no 'store ready' log line within 30 s"
    sleep 0.1
done
pass "worker running (PID $(pid_of worker))"

# --- the passenger's journey ---------------------------------------------------------------------
FLIGHT="SH950-SMOKE"
DEPARTURE=$(python3 -c 'import datetime as d; print((d.datetime.now(d.timezone.utc) + d.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
http POST "$API1/admin/flights" "{\"flightId\": \"$FLIGHT\", \"flightNumber\": \"SH950\", \"origin\": \"LHR\",
    \"destination\": \"JFK\", \"departureTime\": \"$DEPARTURE\", \"aircraftType\": \"A320\"}" "$ADMIN_TOKEN"
expect "admin: create flight" 201
pass "admin: flight $FLIGHT created on instance 1 ($(field seatCount) seats)"

http POST "$API1/admin/bookings" "{\"bookingReference\": \"SMK001\", \"flightId\": \"$FLIGHT\",
    \"passengers\": [{\"firstName\": \"Ada\", \"lastName\": \"Lovelace\"}]}" "$ADMIN_TOKEN"
expect "admin: create booking" 201
pass "admin: booking SMK001 created"

http POST "$LB/sessions" '{"bookingReference": "SMK001", "lastName": "lovelace"}'
expect "sign in through the balancer" 201
TOKEN=$(field token)
PASSENGER=$(field passengers.0.passengerId)
[ -n "$TOKEN" ] && [ -n "$PASSENGER" ] || fail "sign in" "no token or passenger in $(head -c 300 "$WORK/body")"
pass "sign in: passenger $PASSENGER"

SEAT=12A
http POST "$API1/flights/$FLIGHT/seats/$SEAT/hold" "{\"passengerId\": \"$PASSENGER\"}" "$TOKEN"
expect "hold seat $SEAT on instance 1" 201
HOLD=$(field holdId)
[ "$(field state)" = HELD ] || fail "hold seat $SEAT on instance 1" "state is '$(field state)', not HELD"
pass "hold seat $SEAT on instance 1: HELD"

http POST "$API1/holds/$HOLD/confirm" "" "$TOKEN"
expect "confirm hold on instance 1" 200
[ "$(field state)" = CONFIRMED ] || fail "confirm hold on instance 1" "state is '$(field state)', not CONFIRMED"
pass "confirm hold on instance 1: CONFIRMED"

started=$(now_ms)
while :; do
    http GET "$API2/flights/$FLIGHT/seatmap"
    if [ "$STATUS" = 200 ] && [ "$(seat_state "$SEAT")" = CONFIRMED ]; then break; fi
    [ $(( $(now_ms) - started )) -lt 5000 ] \
        || fail "seat map on instance 2" "$SEAT is not CONFIRMED after 5 s (HTTP $STATUS, state '$(seat_state "$SEAT" 2>/dev/null)')"
    sleep 0.05
done
pass "seat map on instance 2 shows $SEAT CONFIRMED (after $(( $(now_ms) - started )) ms)"

http POST "$API1/checkin" "{\"flightId\": \"$FLIGHT\", \"passengerId\": \"$PASSENGER\"}" "$TOKEN"
expect "start check-in" 201
CHECKIN=$(field checkinId)
pass "start check-in: $CHECKIN $(field state), seat $(field seatId)"

http POST "$API1/checkin/$CHECKIN/baggage" '{"bags": [{"tag": "SMK0001", "declaredWeightKg": 30}]}' "$TOKEN"
expect "add a 30 kg bag" 200
STATE=$(field state)
AMOUNT=$(field payment.amount)
CURRENCY=$(field payment.currency)
INTENT=$(field payment.paymentIntentId)
if [ "$STATE" != WAITING_FOR_PAYMENT ] || [ "$AMOUNT" != 5000 ] || [ "$CURRENCY" != EUR ] || [ -z "$INTENT" ]; then
    fail "add a 30 kg bag" "expected WAITING_FOR_PAYMENT with a 5000 EUR intent, got state '$STATE', payment '$(field payment)'"
fi
pass "add a 30 kg bag: WAITING_FOR_PAYMENT, $AMOUNT $CURRENCY, intent $INTENT"

http GET "$MOCK/payment-intents/$INTENT"
expect "intent on the mock Payment service" 200
pass "mock Payment service has intent $INTENT ($(field status))"

http POST "$MOCK/payment-intents/$INTENT/succeed" ""
expect "settle the intent on the mock Payment service" 200
WEBHOOK_STATUS=$(field webhookStatus)
[ "$WEBHOOK_STATUS" = 200 ] \
    || fail "settle the intent on the mock Payment service" "the webhook through the balancer answered '$WEBHOOK_STATUS' ($(field webhookError))"
pass "mock Payment service settled $INTENT; its signed webhook through the balancer answered 200"

started=$(now_ms)
while :; do
    http GET "$API2/checkin/$CHECKIN" "" "$TOKEN"
    if [ "$STATUS" = 200 ] && [ "$(field state)" = COMPLETED ]; then break; fi
    [ $(( $(now_ms) - started )) -lt 10000 ] \
        || fail "check-in COMPLETED" "after 10 s: HTTP $STATUS, state '$(field state)'"
    sleep 0.1
done
pass "check-in COMPLETED, read on instance 2 (after $(( $(now_ms) - started )) ms), payment $(field payment.status)"

http GET "$API1/checkin/$CHECKIN/boarding-pass" "" "$TOKEN"
expect "boarding pass" 200
BCBP=$(field bcbp)
[ "${#BCBP}" -eq 60 ] || fail "boarding pass" "bcbp is ${#BCBP} characters, not 60: '$BCBP'"
pass "boarding pass: bcbp '$BCBP'"

for api in "$API1" "$API2"; do
    http GET "$api/metrics"
    expect "GET $api/metrics without a token" 401
    started=$(now_ms)
    while :; do
        http GET "$api/metrics" "" "$ADMIN_TOKEN"
        expect "GET $api/metrics with the admin token" 200
        grep -q '^skyhigh_guard_redis_up 1' "$WORK/body" && break
        [ $(( $(now_ms) - started )) -lt 10000 ] \
            || fail "GET $api/metrics" "skyhigh_guard_redis_up is not 1 after 10 s: $(grep skyhigh_guard_redis "$WORK/body" | tr '\n' ' ')"
        sleep 0.1
    done
    pass "GET $api/metrics: 401 without a token, 200 with the admin token ($(wc -l <"$WORK/body") lines), Redis up"
done

# --- a bot spread over both instances by the balancer -----------------------------------------------
for n in 1 2 3 4 5 6; do
    http POST "$API1/admin/flights" "{\"flightId\": \"SMOKE-B$n\", \"flightNumber\": \"SH95$n\", \"origin\": \"LHR\",
        \"destination\": \"CDG\", \"departureTime\": \"$DEPARTURE\", \"aircraftType\": \"A320\"}" "$ADMIN_TOKEN"
    expect "admin: create flight SMOKE-B$n" 201
done
# Six different seat maps through the balancer: three on each instance, under each one's own
# limit of five, but six for the fleet.
for n in 1 2 3 4 5 6; do
    STATUS=$(curl -sS --max-time 10 -o "$WORK/body" -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.9' \
        "$LB/flights/SMOKE-B$n/seatmap" 2>"$WORK/curl.err") || STATUS="000"
    [ "$n" -eq 6 ] || expect "bot: seat map $n through the balancer" 200
done
started=$(now_ms)
for api in "$API1" "$API2"; do
    while :; do
        STATUS=$(curl -sS --max-time 10 -o "$WORK/body" -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.9' \
            "$api/flights/SMOKE-B1" 2>"$WORK/curl.err") || STATUS="000"
        [ "$STATUS" = 429 ] && grep -q client-blocked "$WORK/body" && break
        [ $(( $(now_ms) - started )) -lt 5000 ] \
            || fail "bot blocked on every instance" "$api still answers $STATUS to the bot after 5 s"
        sleep 0.02
    done
done
pass "bot blocked on both instances $(( $(now_ms) - started )) ms after its sixth distinct seat map"
http GET "$LB/flights/SMOKE-B1/seatmap"
expect "another client through the balancer" 200

# --- shutdown ------------------------------------------------------------------------------------
for i in "${!PIDS[@]}"; do kill "-${SIGNALS[$i]}" "${PIDS[$i]}" 2>/dev/null || true; done
shutdown_failed=0
LEFT_PIDS=() LEFT_NAMES=() LEFT_SIGNALS=()
for i in "${!PIDS[@]}"; do
    if wait_exit "${PIDS[$i]}" "$STOP_LIMIT"; then
        if [ "$EXIT_STATUS" -eq 0 ]; then
            pass "SIG${SIGNALS[$i]}: ${NAMES[$i]} (PID ${PIDS[$i]}) exited 0"
        else
            STEPS=$((STEPS + 1)) FAILED=$((FAILED + 1)) shutdown_failed=1
            echo "FAIL  SIG${SIGNALS[$i]}: ${NAMES[$i]} (PID ${PIDS[$i]}) exited $EXIT_STATUS"
        fi
    else
        STEPS=$((STEPS + 1)) FAILED=$((FAILED + 1)) shutdown_failed=1
        echo "FAIL  SIG${SIGNALS[$i]}: ${NAMES[$i]} (PID ${PIDS[$i]}) still running after $STOP_LIMIT s"
        LEFT_PIDS+=("${PIDS[$i]}") LEFT_NAMES+=("${NAMES[$i]}") LEFT_SIGNALS+=("${SIGNALS[$i]}")
    fi
done
# Only what is still running is left for the EXIT trap to stop.
PIDS=("${LEFT_PIDS[@]}") NAMES=("${LEFT_NAMES[@]}") SIGNALS=("${LEFT_SIGNALS[@]}")
[ "$shutdown_failed" -eq 0 ] || exit 1
exit 0
