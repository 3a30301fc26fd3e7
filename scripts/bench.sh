#!/usr/bin/env bash
# SkyHigh Core benchmark: seat maps and holds, driven by wrk over loopback.
#
#   scripts/bench.sh [--store sqlite|postgres] [--duration SECONDS] [--runs N] [--flights N] [--redis] [--traces]
#
# Builds the release binary, starts `skyhigh serve` on 127.0.0.1 with a fresh store and the abuse
# guard on as in production (every request is accounted to its client and the bot rule counts
# its seat-map reads; only the per-client rate limit is off, since wrk's connections all come from
# one address, and the bot rule's limit is above what one benchmark client reads). It loads
# flights and bookings through the API, then measures:
#   - GET /flights/{id}/seatmap over random flights, and with every connection on one hot flight,
#     at 64 and 256 connections, and nginx serving the very same bytes as static files in the same
#     run (the ratio holds on a noisy machine);
#   - POST .../hold with signed-in passengers racing over one hot A320 flight (holds last 2 s, so
#     seats keep freeing up and every run places holds, with the sweep and the waitlist jobs running);
#   - with --store postgres, the anchor: pgbench running the minimal hold
#     (scripts/bench/minimal-hold.pgbench: one conditional UPDATE and one event INSERT) with as
#     many clients on the same PostgreSQL, which runs with fsync and synchronous commit on.
#   - with --redis, the seat maps again (random and hot, 64 connections) with the server
#     restarted before every run, alternately without and with SKYHIGH_REDIS_URL (a redis-server
#     of its own, Debian's, installed if missing), so that the cost of counting with the fleet
#     is measured in the same run; the target is within 10 %.
#   - with --traces, the same comparison without and with traces exported (OTEL_EXPORTER_OTLP_ENDPOINT
#     to scripts/otlp/receiver.py, the seat-map fast path sampled as in production, one read in
#     SKYHIGH_TRACE_SEATMAP_EVERY=100), and the holds too: what tracing costs the hot paths.
# Prints the median of the runs for each. Installs wrk and nginx from Debian's packages if missing.
# Everything it starts listens on 127.0.0.1 only, and is stopped (by PID) when it ends.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

STORE=sqlite DURATION=10 RUNS=3 FLIGHTS=200 REDIS=0 TRACES=0
while [ $# -gt 0 ]; do
  case "$1" in
    --store) STORE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --flights) FLIGHTS=$2; shift 2 ;;
    --redis) REDIS=1; shift ;;
    --traces) TRACES=1; shift ;;
    *) echo "usage: $0 [--store sqlite|postgres] [--duration SECONDS] [--runs N] [--flights N] [--redis] [--traces]" >&2; exit 2 ;;
  esac
done
case "$STORE" in sqlite|postgres) ;; *) echo "--store is sqlite or postgres" >&2; exit 2 ;; esac

if [ "$STORE" = postgres ] && [ -z "${SKYHIGH_TEST_POSTGRES_URL:-}" ]; then
  EXTRA=()
  [ "$REDIS" = 1 ] && EXTRA+=(--redis)
  [ "$TRACES" = 1 ] && EXTRA+=(--traces)
  SKYHIGH_PG_DURABLE=1 exec "$ROOT/scripts/with-postgres.sh" "$0" --store postgres --duration "$DURATION" --runs "$RUNS" --flights "$FLIGHTS" "${EXTRA[@]}"
fi

need() { command -v "$1" >/dev/null 2>&1 || command -v "/usr/sbin/$1" >/dev/null 2>&1; }
if ! need wrk || ! need nginx; then
  echo "==> installing wrk and nginx (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk nginx-light >/dev/null
fi
if [ "$REDIS" = 1 ] && ! need redis-server; then
  echo "==> installing redis-server (Debian package; its own service is not used)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  [ -s /run/redis/redis-server.pid ] && kill "$(cat /run/redis/redis-server.pid)" 2>/dev/null || true
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

echo "==> building the release binary"
swift build -c release --product skyhigh 2>&1 | tail -1
BIN="$(swift build -c release --show-bin-path)/skyhigh"

WORK=$(mktemp -d /tmp/skyhigh-bench.XXXXXX)
chmod 755 "$WORK"
SERVER_PID="" NGINX_PID="" REDIS_PID="" RECEIVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null
  [ -n "$RECEIVER_PID" ] && kill "$RECEIVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port) NGINX_PORT=$(free_port)
ADMIN=bench-admin-token-0123456789
if [ "$STORE" = postgres ]; then
  DB_URL="${SKYHIGH_TEST_POSTGRES_URL%/*}/skyhigh_bench"
  psql -q "$SKYHIGH_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS skyhigh_bench" -c "CREATE DATABASE skyhigh_bench"
else
  DB_URL="sqlite:$WORK/bench.sqlite"
fi

# start_server [VAR=VALUE...]: starts skyhigh serve with the benchmark's settings (and these).
start_server() {
  env SKYHIGH_HOST=127.0.0.1 SKYHIGH_PORT=$PORT SKYHIGH_DATABASE_URL=$DB_URL SKYHIGH_ADMIN_TOKEN=$ADMIN \
    SKYHIGH_WEBHOOK_SECRET=bench-webhook-secret-0123 SKYHIGH_LOG_LEVEL=warning SKYHIGH_RATE_LIMIT_PER_SECOND=0 \
    SKYHIGH_ABUSE_SEATMAP_LIMIT=100000 SKYHIGH_DATABASE_POOL_SIZE=40 \
    SKYHIGH_HOLD_SECONDS=2 SKYHIGH_SERVER_THREADS=${SKYHIGH_SERVER_THREADS:-$(nproc)} "$@" \
    "$BIN" serve >> "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -sf "$BASE/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -sf "$BASE/health/ready" >/dev/null || { cat "$WORK/server.log"; exit 1; }
}
stop_server() {
  kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}

echo "==> starting skyhigh serve on 127.0.0.1:$PORT ($STORE)"
BASE="http://127.0.0.1:$PORT"
start_server

echo "==> loading $FLIGHTS flights and a hot flight with 540 signed-in passengers"
DEPARTS=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
post() { curl -sf -X POST "$BASE$1" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d "$2"; }
TYPES=(A320 B738 B77W)
mkdir -p "$WORK/www"
: > "$WORK/paths"
for i in $(seq 1 "$FLIGHTS"); do
  id=$(printf 'BENCH%04d' "$i")
  post /admin/flights "{\"flightId\":\"$id\",\"flightNumber\":\"SH$i\",\"origin\":\"LHR\",\"destination\":\"JFK\",\"departureTime\":\"$DEPARTS\",\"aircraftType\":\"${TYPES[$((i % 3))]}\"}" >/dev/null
  echo "/flights/$id/seatmap" >> "$WORK/paths"
  mkdir -p "$WORK/www/flights/$id"
  curl -sf "$BASE/flights/$id/seatmap" -o "$WORK/www/flights/$id/seatmap"
done
post /admin/flights "{\"flightId\":\"HOT\",\"flightNumber\":\"SH1\",\"origin\":\"LHR\",\"destination\":\"JFK\",\"departureTime\":\"$DEPARTS\",\"aircraftType\":\"A320\"}" >/dev/null
curl -sf "$BASE/flights/HOT/seatmap" | python3 -c 'import json,sys; [print(s["seatId"]) for c in json.load(sys.stdin)["cabins"] for r in c["rows"] for s in r["seats"]]' > "$WORK/seats"
: > "$WORK/clients"
for b in $(seq 1 60); do
  ref=$(printf 'BN%04d' "$b")
  names=$(for p in $(seq 1 9); do printf '{"firstName":"P%d","lastName":"Bench%d"},' "$p" "$b"; done)
  post /admin/bookings "{\"bookingReference\":\"$ref\",\"flightId\":\"HOT\",\"passengers\":[${names%,}]}" >/dev/null
  curl -sf -X POST "$BASE/sessions" -H 'Content-Type: application/json' -d "{\"bookingReference\":\"$ref\",\"lastName\":\"Bench$b\"}" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); [print(d["token"], p["passengerId"]) for p in d["passengers"]]' >> "$WORK/clients"
done

echo "/flights/HOT/seatmap" > "$WORK/hot-paths"
mkdir -p "$WORK/www/flights/HOT"
curl -sf "$BASE/flights/HOT/seatmap" -o "$WORK/www/flights/HOT/seatmap"

cat > "$WORK/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/json;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; location / { try_files \$uri =404; } }
}
CONF
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" &
NGINX_PID=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$NGINX_PORT$(head -1 "$WORK/paths")" >/dev/null 2>&1 && break; sleep 0.1; done

results="$WORK/results"
: > "$results"
run() {  # label connections script url [paths file]
  local label=$1 connections=$2 script=$3 url=$4 paths=${5:-$WORK/paths}
  for r in $(seq 1 "$RUNS"); do
    line=$(env PATHS_FILE="$paths" CLIENTS_FILE="$WORK/clients" SEATS_FILE="$WORK/seats" HOT_FLIGHT=HOT \
      wrk -t2 -c"$connections" -d"${DURATION}s" --timeout 10s -s "$ROOT/scripts/bench/$script" "$url" | grep '^RESULT')
    echo "$label $line" | tee -a "$results"
  done
}

echo "==> seat maps (wrk, 2 threads, ${DURATION}s x $RUNS runs)"
for c in 64 256; do
  run "seatmap-skyhigh-c$c" "$c" seatmap.lua "$BASE"
  run "seatmap-nginx-c$c" "$c" seatmap.lua "http://127.0.0.1:$NGINX_PORT"
  run "hotmap-skyhigh-c$c" "$c" seatmap.lua "$BASE" "$WORK/hot-paths"
  run "hotmap-nginx-c$c" "$c" seatmap.lua "http://127.0.0.1:$NGINX_PORT" "$WORK/hot-paths"
done
echo "==> holds on one hot flight (540 passengers, 174 seats)"
run "holds-skyhigh-c64" 64 holds.lua "$BASE"

if [ "$STORE" = postgres ]; then
  echo "==> the anchor: pgbench, the minimal hold on the same PostgreSQL (64 clients, prepared)"
  psql -q "$DB_URL" -c "CREATE TABLE bench_seats AS SELECT flight_id, position, 0 AS holder, now() AS held_at FROM seats WHERE flight_id = 'HOT'" \
    -c "ALTER TABLE bench_seats ADD PRIMARY KEY (flight_id, position)"
  for r in $(seq 1 "$RUNS"); do
    pgbench -n -M prepared -c 64 -j 2 -T "$DURATION" -D seats=174 -f "$ROOT/scripts/bench/minimal-hold.pgbench" "$DB_URL" \
      > "$WORK/pgbench.log" 2>&1 || { tail -20 "$WORK/pgbench.log"; exit 1; }
    tps=$(awk '/^tps/ {print int($3)}' "$WORK/pgbench.log" | head -1)
    p50=$(awk '/latency average/ {print $4}' "$WORK/pgbench.log" | head -1)
    echo "holds-anchor-c64 RESULT rps=$tps p50=$p50" | tee -a "$results"
  done
fi

# compare NAME CHECK [VAR=VALUE...]: the seat maps (random and hot, 64 connections), and with
# WITH_HOLDS=1 the holds, with the server restarted before every run, alternately without
# ("NAME-off") and with ("NAME-on") these settings; CHECK, a command, must succeed after each
# run with them (proof that they took effect).
compare() {
  local name=$1 check=$2
  shift 2
  for r in $(seq 1 "$RUNS"); do
    for mode in off on; do
      stop_server
      if [ "$mode" = on ]; then start_server "$@"; else start_server; fi
      # Every seat map in memory before the clock starts, as in the runs above.
      while read -r path; do curl -sf "$BASE$path" -o /dev/null; done < "$WORK/paths"
      curl -sf "$BASE/flights/HOT/seatmap" -o /dev/null
      for what in seatmap hotmap; do
        paths=$WORK/paths
        [ "$what" = hotmap ] && paths=$WORK/hot-paths
        line=$(env PATHS_FILE="$paths" wrk -t2 -c64 -d"${DURATION}s" --timeout 10s -s "$ROOT/scripts/bench/seatmap.lua" "$BASE" | grep '^RESULT')
        echo "$what-$name-$mode-c64 $line" | tee -a "$results"
      done
      if [ "${WITH_HOLDS:-0}" = 1 ]; then
        line=$(env CLIENTS_FILE="$WORK/clients" SEATS_FILE="$WORK/seats" HOT_FLIGHT=HOT \
          wrk -t2 -c64 -d"${DURATION}s" --timeout 10s -s "$ROOT/scripts/bench/holds.lua" "$BASE" | grep '^RESULT')
        echo "holds-$name-$mode-c64 $line" | tee -a "$results"
      fi
      if [ "$mode" = on ] && ! $check; then
        echo "==> the settings of '$name' did not take effect" >&2
        exit 1
      fi
    done
  done
}

if [ "$REDIS" = 1 ]; then
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" --loglevel warning \
    > "$WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  counting_with_redis() { curl -sf -H "Authorization: Bearer $ADMIN" "$BASE/metrics" | grep -q '^skyhigh_guard_redis_up 1'; }
  echo "==> seat maps without and with Redis (server restarted before each run, 64 connections)"
  compare redis counting_with_redis SKYHIGH_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
fi

if [ "$TRACES" = 1 ]; then
  python3 "$ROOT/scripts/otlp/receiver.py" --port 0 --out "$WORK/spans.jsonl" 2> "$WORK/receiver.log" &
  RECEIVER_PID=$!
  for _ in $(seq 1 50); do grep -q "listening on" "$WORK/receiver.log" 2>/dev/null && break; sleep 0.1; done
  RECEIVER_PORT=$(grep -o "listening on [0-9]*" "$WORK/receiver.log" | grep -o "[0-9]*$")
  [ -n "$RECEIVER_PORT" ] || { echo "==> the OTLP receiver did not start: $(cat "$WORK/receiver.log")" >&2; exit 1; }
  # Spans arrive in batches, some seconds after the run.
  spans_received() {
    for _ in $(seq 1 100); do [ -s "$WORK/spans.jsonl" ] && return 0; sleep 0.1; done
    return 1
  }
  echo "==> seat maps and holds without and with traces (server restarted before each run, 64 connections)"
  WITH_HOLDS=1 compare traces spans_received OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$RECEIVER_PORT" \
    SKYHIGH_TRACE_SEATMAP_EVERY=100
  echo "==> spans received: $(wc -l < "$WORK/spans.jsonl")"
fi

if grep -qE " (warning|error) " "$WORK/server.log"; then
  echo "==> what the server logged at warning or above (counts)"
  grep -oE " (warning|error) [^:]*: .{0,80}" "$WORK/server.log" | sed -E 's/[0-9a-f-]{36}/<id>/g' | sort | uniq -c | sort -rn | head -10
fi

echo
echo "==> medians of $RUNS runs ($(nproc) cores, $STORE store, wrk and the servers on the same machine)"
python3 - "$results" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, _, rest = line.partition(" RESULT ")
    rows.setdefault(label, []).append(dict(re.findall(r"(\w+)=([\d.]+)", rest)))
def med(label, key):
    values = [float(r[key]) for r in rows.get(label, []) if key in r]
    return statistics.median(values) if values else None
print(f"{'what':28} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
for label in rows:
    rps, p50, p99 = med(label, "rps"), med(label, "p50"), med(label, "p99")
    fmt = lambda v, f: (f % v) if v is not None else "-"
    print(f"{label:28} {fmt(rps, '%.0f'):>10} {fmt(p50, '%.2f'):>8} {fmt(p99, '%.2f'):>8}")
for what in ("seatmap", "hotmap"):
    for c in (64, 256):
        ours, theirs = med(f"{what}-skyhigh-c{c}", "rps"), med(f"{what}-nginx-c{c}", "rps")
        ours99, theirs99 = med(f"{what}-skyhigh-c{c}", "p99"), med(f"{what}-nginx-c{c}", "p99")
        if ours and theirs:
            print(f"{what} at {c} connections: {ours / theirs:.2f}x nginx's requests/s, p99 {ours99 / theirs99:.2f}x nginx's")
for what in ("seatmap", "hotmap"):
    alone, shared = med(f"{what}-redis-off-c64", "rps"), med(f"{what}-redis-on-c64", "rps")
    if alone and shared:
        print(f"{what} at 64 connections with Redis: {shared / alone:.2f}x the requests/s without (target: at least 0.90x)")
for what in ("seatmap", "hotmap", "holds"):
    off, on = med(f"{what}-traces-off-c64", "rps"), med(f"{what}-traces-on-c64", "rps")
    if off and on:
        print(f"{what} at 64 connections with traces: {on / off:.2f}x the requests/s without, "
              f"p99 {med(f'{what}-traces-on-c64', 'p99'):.2f} ms against {med(f'{what}-traces-off-c64', 'p99'):.2f} ms")
ours, anchor = med("holds-skyhigh-c64", "rps"), med("holds-anchor-c64", "rps")
if ours and anchor:
    print(f"holds at 64 connections: {ours / anchor:.2f}x the minimal-hold anchor's transactions/s, p99 {med('holds-skyhigh-c64', 'p99'):.1f} ms")
PY
