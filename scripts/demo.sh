#!/usr/bin/env bash
# Usage: scripts/demo.sh [--port N] [--mock-port N] [--binary PATH] [--time-limit SECONDS]
#        scripts/demo.sh --check-readme | --write-readme
#
# The README's walk-through, run and checked. Starts `skyhigh mock-services` and `skyhigh serve`
# on 127.0.0.1 (the embedded default: a fresh SQLite file, with the Weight and Payment services
# pointed at the mocks), then runs every command of the walk-through with curl and jq, exactly as
# the README shows them, and checks each answer: a flight and a booking through the admin API,
# sign-in, the seat map and its ETag, a hold confirmed, the waitlist given the seat a cancel
# frees, the flight's history, check-in, an overweight bag paid through the mock Payment service
# (which signs and sends the webhook), a bag refused while the mocks are down, a payment webhook
# signed by hand (and its duplicate), and both boarding passes.
#
# It first checks that README.md's walk-through blocks are this script's (see below). Prints PASS
# or FAIL per step and a last PASS/FAIL line, and exits non-zero on any failure.
# Every process it starts is stopped by its PID, and its temporary folder removed, on every exit
# path; the run (after the build) is bounded by --time-limit, 120 s by default.
#
#   --port N            the port of `skyhigh serve` (default: a free one)
#   --mock-port N       the port of `skyhigh mock-services` (default: a free one)
#   --binary PATH       the skyhigh binary, used as it is; without it the script runs
#                       `swift build --product skyhigh` and uses the debug binary
#   --time-limit SECS   give up (FAIL) after this long
#   --check-readme      only check that README.md's walk-through blocks are this script's
#   --write-readme      only rewrite README.md's walk-through blocks from this script
#
# The blocks between `# >>> readme: NAME` and `# <<< readme` below are the README's, to the
# letter: each stands in README.md in the ```sh block after `<!-- demo.sh: NAME -->`.
#
# Needs curl, jq, openssl and python3.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=lib/processes.sh
source "$SCRIPT_DIR/lib/processes.sh"

BINARY=""
API_PORT=""
MOCK_PORT=""
TIME_LIMIT=120
README_MODE=""

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

port_argument() {
    case "$2" in
        '' | *[!0-9]*) echo "demo: $1 must be a port number" >&2; exit 2 ;;
    esac
    printf '%s\n' "$2"
}

while [ "$#" -gt 0 ]; do
    case "$1" in
        --port) API_PORT=$(port_argument --port "${2:-}"); shift 2 ;;
        --port=*) API_PORT=$(port_argument --port "${1#*=}"); shift ;;
        --mock-port) MOCK_PORT=$(port_argument --mock-port "${2:-}"); shift 2 ;;
        --mock-port=*) MOCK_PORT=$(port_argument --mock-port "${1#*=}"); shift ;;
        --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
        --binary=*) BINARY=${1#*=}; shift ;;
        --time-limit) TIME_LIMIT=${2:?--time-limit needs seconds}; shift 2 ;;
        --time-limit=*) TIME_LIMIT=${1#*=}; shift ;;
        --check-readme) README_MODE=check; shift ;;
        --write-readme) README_MODE=write; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "demo: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$TIME_LIMIT" in
    '' | *[!0-9]*) echo "demo: --time-limit must be a whole number of seconds" >&2; exit 2 ;;
esac

# --- README.md's walk-through: this script's blocks ----------------------------------------------
# readme MODE: checks (check) or rewrites (write) the README's marked blocks from this script's.
readme() {
    python3 - "$1" "$0" "$REPO_ROOT/README.md" <<'PY'
import re, sys
mode, script_path, readme_path = sys.argv[1:]
script = open(script_path).read()
blocks = dict(re.findall(r"^# >>> readme: (\S+)\n(.*?)^# <<< readme$", script, re.M | re.S))
readme = open(readme_path).read()
pattern = re.compile(r"(<!-- demo\.sh: (\S+) -->\n```sh\n)(.*?)(^```$)", re.M | re.S)
problems, seen = [], []
def replace(match):
    name = match.group(2)
    seen.append(name)
    if name not in blocks:
        problems.append(f"README.md has a block {name} that scripts/demo.sh does not run")
        return match.group(0)
    if match.group(3) != blocks[name]:
        problems.append(f"README.md's block {name} differs from scripts/demo.sh's")
    return match.group(1) + blocks[name] + match.group(4)
written = pattern.sub(replace, readme)
problems += [f"README.md lacks the block {name} that scripts/demo.sh runs" for name in blocks if name not in seen]
if mode == "write":
    open(readme_path, "w").write(written)
    problems = [p for p in problems if "differs" not in p]
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
PY
}
case "$README_MODE" in
    check)
        if readme check; then echo "demo: README.md's walk-through is this script's"; exit 0; fi
        echo "demo: FAIL (scripts/demo.sh --write-readme rewrites README.md's blocks)"
        exit 1
        ;;
    write) readme write; exit $? ;;
esac

for tool in curl jq openssl python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL  $tool is required"
        exit 1
    fi
done

# --- the binary ----------------------------------------------------------------------------------
skyhigh_binary demo "$REPO_ROOT"

run_begin demo "$TIME_LIMIT"
if ! readme check >"$WORK/readme.txt"; then
    fail "README.md's walk-through is this script's" "$(tr '\n' ' ' <"$WORK/readme.txt") (--write-readme rewrites it)"
fi
pass "README.md's walk-through is this script's"
STEP=""
run_cleanup_hook() {
    if [ -n "$STEP" ] && [ -s "$WORK/$STEP.out" ]; then
        echo "      --- output of step $STEP ---"
        tail -n 20 "$WORK/$STEP.out" | sed 's/^/      | /'
    fi
}

# step NAME: the README block NAME runs next, its output going to $WORK/NAME.out.
step() {
    STEP=$1
    exec 1>"$WORK/$STEP.out"
}

# check DESCRIPTION JQ_FILTER: the step's output as an array, of its JSON documents or else of its
# lines (each line's JSON value, or the line as a string), must make the filter true; the step
# then passes and its output is shown.
check() {
    exec 1>&8
    if ! { jq -e -s "$2" "$WORK/$STEP.out" || jq -e -n -R "[inputs | . as \$line | try fromjson catch \$line] | $2" \
        "$WORK/$STEP.out"; } >/dev/null 2>&1; then
        fail "$STEP: $1" "$(head -c 600 "$WORK/$STEP.out" | tr '\n' ' ')"
    fi
    pass "$STEP: $1"
    sed 's/^/      | /' "$WORK/$STEP.out"
    STEP=""
}

echo "demo: binary $BINARY"
echo "demo: logs and data in $WORK (removed at the end)"
API_PORT=${API_PORT:-$(free_port)}
MOCK_PORT=${MOCK_PORT:-$(free_port)}

# --- the processes: as the README's walk-through starts them, on the ports chosen ----------------
BASE=http://127.0.0.1:$API_PORT
MOCK=http://127.0.0.1:$MOCK_PORT
ADMIN=demo-admin-token-$$-$(date +%s)
SECRET=demo-webhook-secret-$$-$(date +%s)
start mock-services mock-services --host 127.0.0.1 --port "$MOCK_PORT" --webhook-secret "$SECRET" \
    --webhook-url "$BASE/payments/webhook"
wait_http mock-services "$MOCK/health"
start serve serve --host 127.0.0.1 --port "$API_PORT" --database-url "sqlite:$WORK/demo.sqlite" \
    --admin-token "$ADMIN" --webhook-secret "$SECRET" --weight-service-url "$MOCK" --payment-service-url "$MOCK"
wait_http serve "$BASE/health/ready"
grep -q "listening on $BASE\$" "$WORK/serve.log" || fail "serve banner" "no 'listening on $BASE' line"
pass "serve banner: listening on $BASE"

# --- the walk-through ----------------------------------------------------------------------------
cd "$WORK"

step create-flight
# >>> readme: create-flight
curl -s -X POST "$BASE/admin/flights" \
  -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"flightId": "SH900-2030-06-01", "flightNumber": "SH900", "origin": "LHR",
       "destination": "JFK", "departureTime": "2030-06-01T09:30:00Z", "aircraftType": "A320"}' | jq .
# <<< readme
check "flight SH900-2030-06-01, an A320 of 174 seats" \
    '.[0] | .flightId == "SH900-2030-06-01" and .aircraftType == "A320" and .seatCount == 174'

step import-booking
# >>> readme: import-booking
curl -s -X POST "$BASE/admin/bookings" \
  -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"bookingReference": "ABC123", "flightId": "SH900-2030-06-01",
       "passengers": [{"firstName": "Ada", "lastName": "Lovelace"},
                      {"firstName": "Charles", "lastName": "Babbage", "priorityTier": "GOLD"}]}' | jq .
# <<< readme
check "booking ABC123 with two passengers" '.[0] | .bookingReference == "ABC123" and (.passengers | length) == 2'

step sign-in
# >>> readme: sign-in
curl -s -X POST "$BASE/sessions" -H 'Content-Type: application/json' \
  -d '{"bookingReference": "ABC123", "lastName": "lovelace"}' | tee session.json | jq .
TOKEN=$(jq -r .token session.json)
PASSENGER=$(jq -r '.passengers[0].passengerId' session.json)
# <<< readme
check "signed in with a token for both passengers" \
    '.[0] | (.token | startswith("sh_")) and .passengers[0].firstName == "Ada" and .passengers[1].firstName == "Charles"'

step seat-map
# >>> readme: seat-map
curl -s "$BASE/flights/SH900-2030-06-01/seatmap" | jq -c '{flightId, version, firstRow: .cabins[0].rows[0].row}'
ETAG=$(curl -s -D - -o /dev/null "$BASE/flights/SH900-2030-06-01/seatmap" \
  | tr -d '\r' | awk 'tolower($1) == "etag:" {print $2}')
curl -s -o /dev/null -w '%{http_code}\n' -H "If-None-Match: $ETAG" "$BASE/flights/SH900-2030-06-01/seatmap"
# <<< readme
check "version 0, then 304 for its ETag" '.[0] == {flightId: "SH900-2030-06-01", version: 0, firstRow: 1} and .[1] == 304'

step hold
# >>> readme: hold
curl -s -X POST "$BASE/flights/SH900-2030-06-01/seats/12A/hold" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -H 'Idempotency-Key: 7d3f6c1e-hold-12A' \
  -d "{\"passengerId\": \"$PASSENGER\"}" | tee hold.json | jq .
HOLD=$(jq -r .holdId hold.json)
# <<< readme
check "12A HELD" '.[0] | .seatId == "12A" and .state == "HELD" and .expiresAt != null'

step confirm
# >>> readme: confirm
curl -s -X POST "$BASE/holds/$HOLD/confirm" -H "Authorization: Bearer $TOKEN" | jq -r .state   # CONFIRMED
# <<< readme
check "12A CONFIRMED" '. == ["CONFIRMED"]'

step waitlist
# >>> readme: waitlist
PASSENGER2=$(jq -r '.passengers[1].passengerId' session.json)
curl -s -X POST "$BASE/flights/SH900-2030-06-01/waitlist" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"passengerId\": \"$PASSENGER2\", \"preferences\": {\"seats\": [\"12A\"]}}" | tee entry.json | jq .
ENTRY=$(jq -r .waitlistId entry.json)
# <<< readme
check "Charles WAITING, first in line" '.[0] | .state == "WAITING" and .position == 1'

step cancel-and-assign
# >>> readme: cancel-and-assign
curl -s -X POST "$BASE/holds/$HOLD/cancel" -H "Authorization: Bearer $TOKEN" | jq -r .state   # CANCELLED
for attempt in 1 2 3 4 5 6 7 8 9 10; do   # the worker runs the offer at once; allow it 5 s
  STATE=$(curl -s "$BASE/waitlist/$ENTRY" -H "Authorization: Bearer $TOKEN" | jq -r .state)
  [ "$STATE" = WAITING ] || break
  sleep 0.5
done
curl -s "$BASE/waitlist/$ENTRY" -H "Authorization: Bearer $TOKEN" | jq -c '{state, seatId}'
# <<< readme
check "Ada's seat CANCELLED, then 12A ASSIGNED to Charles" '.[0] == "CANCELLED" and .[1] == {state: "ASSIGNED", seatId: "12A"}'

step history
# >>> readme: history
curl -s "$BASE/admin/flights/SH900-2030-06-01/events" -H "Authorization: Bearer $ADMIN" \
  | jq -c '.events[] | {sequence, kind, seatId, toState}'
# <<< readme
check "six events, oldest first" \
    '[.[].kind] == ["HOLD_PLACED", "HOLD_CONFIRMED", "WAITLIST_JOINED", "HOLD_CANCELLED", "WAITLIST_ASSIGNED", "HOLD_ASSIGNED"]'

step check-in
# >>> readme: check-in
SEAT=$(curl -s -X POST "$BASE/flights/SH900-2030-06-01/seats/14C/hold" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d "{\"passengerId\":\"$PASSENGER\"}" | jq -r .holdId)
curl -s -X POST "$BASE/holds/$SEAT/confirm" -H "Authorization: Bearer $TOKEN" | jq -r .state   # CONFIRMED
CHECKIN=$(curl -s -X POST "$BASE/checkin" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"flightId\":\"SH900-2030-06-01\",\"passengerId\":\"$PASSENGER\"}" | jq -r .checkinId)
curl -s -X POST "$BASE/checkin/$CHECKIN/baggage" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"bags":[{"tag":"0125123456","declaredWeightKg":30}]}' | jq -c '{state, bags, amountDue}'
# <<< readme
check "14C CONFIRMED; a 30 kg bag owes 50.00 EUR" \
    '.[0] == "CONFIRMED" and .[1].state == "WAITING_FOR_PAYMENT" and .[1].amountDue == {amount: 5000, currency: "EUR"}
     and .[1].bags[0].weightKg == 30'

step pay-with-mock
# >>> readme: pay-with-mock
INTENT=$(curl -s "$BASE/checkin/$CHECKIN" -H "Authorization: Bearer $TOKEN" | jq -r .payment.paymentIntentId)
curl -s -X POST "$MOCK/payment-intents/$INTENT/succeed" | jq -c '{status, webhookStatus}'
curl -s "$BASE/checkin/$CHECKIN" -H "Authorization: Bearer $TOKEN" | jq -r .state   # COMPLETED
curl -s "$BASE/checkin/$CHECKIN/boarding-pass" -H "Authorization: Bearer $TOKEN" | jq -r .bcbp
# <<< readme
check "the mock's signed webhook completed Ada's check-in; her boarding pass" \
    '.[0] == {status: "SUCCEEDED", webhookStatus: 200} and .[1] == "COMPLETED"
     and (.[2] | startswith("M1LOVELACE/ADA") and contains("014C"))'

step services-down
# >>> readme: services-down
CHECKIN2=$(curl -s -X POST "$BASE/checkin" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"flightId\":\"SH900-2030-06-01\",\"passengerId\":\"$PASSENGER2\"}" | jq -r .checkinId)
curl -s -X PUT "$MOCK/behaviour" -H 'Content-Type: application/json' -d '{"latencyMs":0,"failureRate":1}' | jq -c .
curl -s -X POST "$BASE/checkin/$CHECKIN2/baggage" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"bags":[{"tag":"0125654321","declaredWeightKg":28}]}' | jq -c '{status, type}'
curl -s -X PUT "$MOCK/behaviour" -H 'Content-Type: application/json' -d '{"latencyMs":0,"failureRate":0}' | jq -c .
# <<< readme
check "with the Weight service down, a bag is 503 weight-service-unavailable" \
    '.[0].failureRate == 1 and .[1] == {status: 503, type: "https://skyhigh.dev/problems/weight-service-unavailable"}
     and .[2].failureRate == 0'

step pay-by-hand
# >>> readme: pay-by-hand
curl -s -X POST "$BASE/checkin/$CHECKIN2/baggage" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"bags":[{"tag":"0125654321","declaredWeightKg":28}]}' | jq -c '{state, amountDue}'
INTENT2=$(curl -s "$BASE/checkin/$CHECKIN2" -H "Authorization: Bearer $TOKEN" | jq -r .payment.paymentIntentId)
BODY="{\"eventId\":\"evt_by_hand_1\",\"paymentIntentId\":\"$INTENT2\",\"status\":\"succeeded\"}"
T=$(date +%s)
SIG=$(printf '%s.%s' "$T" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -hex | sed 's/^.* //')
curl -s -X POST "$BASE/payments/webhook" -H 'Content-Type: application/json' \
  -H "SkyHigh-Signature: t=$T,v1=$SIG" -d "$BODY" | jq -c '{outcome, state}'
curl -s -X POST "$BASE/payments/webhook" -H 'Content-Type: application/json' \
  -H "SkyHigh-Signature: t=$T,v1=$SIG" -d "$BODY" | jq -c '{outcome, state}'
curl -s "$BASE/checkin/$CHECKIN2/boarding-pass" -H "Authorization: Bearer $TOKEN" | jq -r .bcbp
# <<< readme
check "a 28 kg bag owes 30.00 EUR; the webhook signed by hand completes, its repeat is a duplicate" \
    '.[0] == {state: "WAITING_FOR_PAYMENT", amountDue: {amount: 3000, currency: "EUR"}}
     and .[1] == {outcome: "applied", state: "COMPLETED"} and .[2].outcome == "duplicate"
     and (.[3] | startswith("M1BABBAGE/CHARLES") and contains("012A"))'
