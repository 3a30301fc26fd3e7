#!/usr/bin/env bash
# Cross-instance coherence: two `skyhigh serve` processes on one throwaway PostgreSQL; 20 holds
# placed through the first, each timed until the second instance's seat map shows it.
# Prints the median and the worst delay. Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${SKYHIGH_TEST_POSTGRES_URL:-}" ]; then exec scripts/with-postgres.sh "$0"; fi
swift build --product skyhigh 2>&1 | tail -1
BIN="$(swift build --show-bin-path)/skyhigh"
URL="${SKYHIGH_TEST_POSTGRES_URL%/*}/skyhigh_coherence"
psql -q "$SKYHIGH_TEST_POSTGRES_URL" -c 'DROP DATABASE IF EXISTS skyhigh_coherence' -c 'CREATE DATABASE skyhigh_coherence'
export SKYHIGH_DATABASE_URL=$URL SKYHIGH_ADMIN_TOKEN=coherence-admin-token-0123 SKYHIGH_WEBHOOK_SECRET=coherence-webhook-0123
export SKYHIGH_LOG_LEVEL=error SKYHIGH_RATE_LIMIT_PER_SECOND=0 SKYHIGH_ABUSE_ALLOWLIST=127.0.0.1
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
A=$(free_port) B=$(free_port)
"$BIN" demo-data >/dev/null
SKYHIGH_PORT=$A "$BIN" serve >/dev/null 2>&1 & S1=$!
SKYHIGH_PORT=$B "$BIN" serve >/dev/null 2>&1 & S2=$!
trap 'kill $S1 $S2 2>/dev/null; wait $S1 $S2 2>/dev/null || true' EXIT
for port in $A $B; do for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done; done
python3 - "$A" "$B" <<'PY'
import json, sys, time, urllib.request
A, B = sys.argv[1], sys.argv[2]
session = json.loads(urllib.request.urlopen(urllib.request.Request(
    f"http://127.0.0.1:{A}/sessions", data=b'{"bookingReference":"DEMO01","lastName":"Lovelace"}',
    headers={"Content-Type": "application/json"}, method="POST")).read())
tok, pid = session["token"], session["passengers"][0]["passengerId"]
def get(port):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/flights/SH101/seatmap").read()
lags = []
seats = [f"{r}{c}" for r in range(5, 25) for c in "ABCDEF"][:20]
for seat in seats:
    get(B)  # warm B's cache
    req = urllib.request.Request(f"http://127.0.0.1:{A}/flights/SH101/seats/{seat}/hold", data=json.dumps({"passengerId": pid}).encode(),
                                 headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(req).read()
    t0 = time.monotonic()
    needle = f'"seatId":"{seat}","state":"HELD"'.encode()
    while needle not in get(B):
        if time.monotonic() - t0 > 2: break
    lags.append((time.monotonic() - t0) * 1000)
lags.sort()
print(f"visible on the other instance after: median {lags[len(lags)//2]:.1f} ms, max {lags[-1]:.1f} ms over {len(lags)} holds")
PY
