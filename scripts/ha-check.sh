#!/usr/bin/env bash
# Usage: scripts/ha-check.sh [--binary PATH] [--duration S] [--warmup S] [--after S]
#                            [--clients N] [--time-limit S] [--keep] [--install-only]
#
# High availability under load: a real PostgreSQL HA topology on 127.0.0.1, two `skyhigh serve`
# instances on it, many clients holding, confirming and cancelling seats, and the primary killed
# in the middle. Then the database (read through HAProxy with psql) and the API are asked whether
# anything acknowledged was lost.
#
#  1. Installs what is missing from Debian's packages (as root; apt-get update once, service
#     starts refused by a temporary /usr/sbin/policy-rc.d): patroni, etcd-server (etcd 3.4),
#     haproxy, postgresql (15). Stops Debian's own 15/main cluster if it runs.
#  2. Starts one etcd and three Patroni nodes (PostgreSQL 15, run as the `postgres` user, each
#     with its own data dir, PostgreSQL port and REST port; ttl 20, loop_wait 2, retry_timeout 5,
#     synchronous_mode and synchronous_mode_strict), waits for a leader and two streaming
#     replicas, one of them the synchronous standby; then HAProxy in front, sending connections
#     to whichever node answers 200 on Patroni's `GET /primary` (checked every second, down after
#     two failures, sessions on a node marked down are shut).
#  3. Creates the database through HAProxy, runs `skyhigh migrate`, then two `skyhigh serve`
#     with SKYHIGH_DATABASE_URL pointing at HAProxy and SKYHIGH_STORE_TIMEOUT_SECONDS=2.
#  4. Creates two A320 flights and 96 passengers through the admin API, signs them in, and runs
#     scripts/ha/load.py: --clients threads holding, confirming, reading back and cancelling
#     seats on both instances, every request with an 8 s client timeout (store deadline 2 s +
#     6 s margin), every request and every acknowledged confirmation and cancel on record.
#  5. After --warmup seconds, SIGKILLs the leader's Patroni and its postmaster. The load goes on
#     until a write succeeds again, then --after seconds more (and at least --duration seconds
#     in all), capped at 60 s without a successful write.
#  6. Verdict: (a) every acknowledged confirmation not cancelled by an acknowledged cancel is
#     CONFIRMED in `holds`; (b) no seat has two live holds; (c) the write outage (kill to first
#     successful write) is at most 30 s; (d) no request hung past the client timeout; (e)
#     statuses before, during and after the failover, with no 5xx other than 503 and no request
#     left without an HTTP answer. Prints the figures and one line `ha-check: PASS ...` or
#     `ha-check: FAIL <reasons>`; exits 0 or 1 (2 for bad arguments).
#
#   --binary PATH     the skyhigh binary; without it `swift build --product skyhigh` is run
#   --duration S      least length of the load, kill included (default 75)
#   --warmup S        load before the kill (default 20)
#   --after S         load after writes succeed again (default 15)
#   --clients N       client threads (default 32)
#   --time-limit S    bound of the run after install and build (default 240): FAIL past it
#   --keep            keep the work folder (logs, request records) and print its path
#   --install-only    install the packages, then stop
#
# Everything listens on 127.0.0.1, on free ports. Every process it starts is stopped by its PID
# on every exit path, and the temporary folder is removed (unless --keep).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=lib/binary.sh
source "$SCRIPT_DIR/lib/binary.sh"

BINARY=""
DURATION=75
WARMUP=20
AFTER=15
CLIENTS=32
TIME_LIMIT=240
KEEP=0
INSTALL_ONLY=0
STORE_TIMEOUT=2
MARGIN=6
REQUEST_TIMEOUT=$((STORE_TIMEOUT + MARGIN))
MAX_OUTAGE=30
RECOVERY_CAP=60      # seconds after the kill without a successful write before the load stops
PASSENGERS=96
PG_MAJOR=15
PGBIN=/usr/lib/postgresql/$PG_MAJOR/bin

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
log() { printf 'ha-check: %s\n' "$*"; }

number() {
    case "$2" in '' | *[!0-9]*) echo "ha-check: $1 must be a whole number" >&2; exit 2 ;; esac
}
while [ "$#" -gt 0 ]; do
    case "$1" in
        --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
        --binary=*) BINARY=${1#*=}; shift ;;
        --duration) DURATION=${2:-}; number "$1" "$DURATION"; shift 2 ;;
        --duration=*) DURATION=${1#*=}; number --duration "$DURATION"; shift ;;
        --warmup) WARMUP=${2:-}; number "$1" "$WARMUP"; shift 2 ;;
        --warmup=*) WARMUP=${1#*=}; number --warmup "$WARMUP"; shift ;;
        --after) AFTER=${2:-}; number "$1" "$AFTER"; shift 2 ;;
        --after=*) AFTER=${1#*=}; number --after "$AFTER"; shift ;;
        --clients) CLIENTS=${2:-}; number "$1" "$CLIENTS"; shift 2 ;;
        --clients=*) CLIENTS=${1#*=}; number --clients "$CLIENTS"; shift ;;
        --time-limit) TIME_LIMIT=${2:-}; number "$1" "$TIME_LIMIT"; shift 2 ;;
        --time-limit=*) TIME_LIMIT=${1#*=}; number --time-limit "$TIME_LIMIT"; shift ;;
        --keep) KEEP=1; shift ;;
        --install-only) INSTALL_ONLY=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "ha-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ "$CLIENTS" -ge 1 ] || { echo "ha-check: --clients must be at least 1" >&2; exit 2; }
[ "$PASSENGERS" -ge "$CLIENTS" ] || PASSENGERS=$CLIENTS

# --- 1. packages ---------------------------------------------------------------------------------
stop_package_services() {
    # Belt and braces: a package service that started anyway is stopped through its own init
    # script (which goes by its pid file), and Debian's own cluster through pg_ctlcluster.
    local svc ver name status
    for svc in haproxy etcd patroni; do
        if [ -x "/etc/init.d/$svc" ] && "/etc/init.d/$svc" status >/dev/null 2>&1; then
            log "stopping the package's $svc service"
            "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
        fi
    done
    if command -v pg_lsclusters >/dev/null 2>&1; then
        while read -r ver name _ status _; do
            case "$status" in
                online*)
                    log "stopping Debian's cluster $ver/$name"
                    pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" stop >/dev/null 2>&1 || true
                    ;;
            esac
        done < <(pg_lsclusters -h 2>/dev/null || true)
    fi
}

install_packages() {
    local missing=()
    command -v patroni >/dev/null 2>&1 || missing+=(patroni)
    command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
    command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
    [ -x "$PGBIN/postgres" ] && [ -x "$PGBIN/initdb" ] || missing+=(postgresql)
    command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    if [ "${#missing[@]}" -gt 0 ]; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "ha-check: FAIL need root to install: ${missing[*]}"
            exit 1
        fi
        log "installing from Debian's packages: ${missing[*]}"
        local policy=/usr/sbin/policy-rc.d added=0 status=0
        if [ ! -e "$policy" ]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy"
            chmod 755 "$policy"
            added=1
        fi
        {
            timeout 300 apt-get update -q >/tmp/ha-check-apt.$$.log 2>&1 &&
                DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q --no-install-recommends \
                    "${missing[@]}" </dev/null >>/tmp/ha-check-apt.$$.log 2>&1
        } || status=$?
        if [ "$added" -eq 1 ]; then rm -f "$policy"; fi
        if [ "$status" -ne 0 ]; then
            tail -n 20 /tmp/ha-check-apt.$$.log >&2
            rm -f /tmp/ha-check-apt.$$.log
            echo "ha-check: FAIL apt-get could not install ${missing[*]} (exit $status)"
            exit 1
        fi
        rm -f /tmp/ha-check-apt.$$.log
    fi
    stop_package_services
    if [ ! -x "$PGBIN/postgres" ]; then
        echo "ha-check: FAIL PostgreSQL $PG_MAJOR is not in $PGBIN after installing 'postgresql'"
        exit 1
    fi
    if ! id -u postgres >/dev/null 2>&1; then
        useradd --system --no-create-home postgres
    fi
    log "patroni $(patroni --version 2>/dev/null | awk '{print $2}'), etcd $(etcd --version 2>/dev/null | awk '/etcd Version/ {print $3}'), \
$(haproxy -v 2>/dev/null | head -n 1 | awk '{print $1, $3}'), $("$PGBIN/postgres" --version)"
}

install_packages
if [ "$INSTALL_ONLY" -eq 1 ]; then exit 0; fi

# --- the binary ----------------------------------------------------------------------------------
skyhigh_binary ha-check "$REPO_ROOT"

# --- bookkeeping: from here on the run is bounded and the EXIT trap stops everything -------------
WORK=$(mktemp -d /tmp/skyhigh-ha.XXXXXX)
chmod 755 "$WORK"
PIDS=()            # every long-running process started, by PID ("" once it is gone)
NAMES=()           # its name, same index
WATCHDOG=""
SUMMARY=""         # the last line printed
ORPHANS=()         # server processes of the killed postmaster, checked at the end
STARTED_AT=$SECONDS

now() { date +%s.%N; }
# running PID: true while PID exists and is not a zombie.
running() {
    local state
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
# wait_gone PID SECONDS: true once PID has exited (reaped, with its status in EXIT_STATUS, if it
# is a child of this shell); false if it still runs after SECONDS.
EXIT_STATUS=""
wait_gone() {
    local deadline=$((SECONDS + $2))
    while running "$1"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
    EXIT_STATUS=0
    wait "$1" 2>/dev/null || EXIT_STATUS=$?
    return 0
}
index_of() {
    local i
    for i in "${!NAMES[@]}"; do
        if [ "${NAMES[$i]}" = "$1" ]; then echo "$i"; return 0; fi
    done
    return 1
}
pid_of() { local i; i=$(index_of "$1") && echo "${PIDS[$i]}"; }
forget() { local i; if i=$(index_of "$1"); then PIDS[i]=""; fi; }

# spawn NAME DIR COMMAND...: runs COMMAND from DIR in the background, output in $WORK/NAME.log.
spawn() {
    local name=$1 dir=$2
    shift 2
    (cd "$dir" && exec "$@") >"$WORK/$name.log" 2>&1 &
    PIDS+=("$!")
    NAMES+=("$name")
}

# postmaster_pid NODE: the PID in the node's postmaster.pid, if that process runs.
postmaster_pid() {
    local file="$WORK/$1/data/postmaster.pid" pid
    [ -r "$file" ] || return 1
    pid=$(head -n 1 "$file" 2>/dev/null) || return 1
    case "$pid" in '' | *[!0-9]*) return 1 ;; esac
    running "$pid" || return 1
    # Make sure the number still names that node's postmaster.
    grep -qa -- "$WORK/$1/data" "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

# stop_named NAME...: SIGTERM to each, then up to 10 s for each to exit before SIGKILL.
stop_named() {
    local name pid
    for name in "$@"; do
        pid=$(pid_of "$name" 2>/dev/null) || continue
        if running "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    for name in "$@"; do
        pid=$(pid_of "$name" 2>/dev/null) || continue
        [ -n "$pid" ] || continue
        if ! wait_gone "$pid" 10; then
            log "$name (PID $pid) ignored SIGTERM for 10 s; killing it"
            { kill -KILL "$pid"; wait_gone "$pid" 5; } 2>/dev/null || true
        fi
        forget "$name"
    done
}

stop_all() {
    local i pid name node pm
    # The clients, then the API (while its database is still there), then the load balancer,
    # then the database nodes, then etcd.
    stop_named load migrate
    stop_named serve-a serve-b
    stop_named haproxy
    for node in n1 n2 n3; do
        pid=$(pid_of "patroni-$node" 2>/dev/null) || continue
        if running "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    for node in n1 n2 n3; do
        pid=$(pid_of "patroni-$node" 2>/dev/null) || continue
        [ -n "$pid" ] || continue
        if ! wait_gone "$pid" 30; then
            log "patroni-$node (PID $pid) did not stop within 30 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 5 || true
        fi
        forget "patroni-$node"
    done
    # A postmaster left behind by a Patroni that is gone: immediate shutdown, then SIGKILL.
    for node in n1 n2 n3; do
        if pm=$(postmaster_pid "$node"); then
            log "stopping the postmaster of $node (PID $pm) left behind"
            kill -QUIT "$pm" 2>/dev/null || true
            wait_gone "$pm" 10 || kill -KILL "$pm" 2>/dev/null || true
        fi
    done
    # Server processes of the killed postmaster exit by themselves when they notice its death.
    for pid in "${ORPHANS[@]}"; do
        if running "$pid" && grep -qa '^postgres' "/proc/$pid/cmdline" 2>/dev/null; then
            wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    pid=$(pid_of etcd 2>/dev/null) || pid=""
    if [ -n "$pid" ] && running "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || { kill -KILL "$pid" 2>/dev/null || true; }
    fi
    forget etcd
    # Anything else still on the list.
    for i in "${!PIDS[@]}"; do
        pid=${PIDS[$i]}
        if [ -n "$pid" ] && running "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 5 || true
        fi
    done
}

cleanup() {
    local status=$1
    trap '' INT TERM USR1
    if [ -n "$WATCHDOG" ]; then
        kill "$WATCHDOG" 2>/dev/null || true
        wait "$WATCHDOG" 2>/dev/null || true
    fi
    log "stopping everything this run started"
    stop_all
    if [ "$KEEP" -eq 1 ]; then
        log "work folder kept: $WORK"
    else
        rm -rf -- "$WORK"
    fi
    log "run took $((SECONDS - STARTED_AT)) s"
    if [ -z "$SUMMARY" ]; then
        SUMMARY="ha-check: FAIL the run stopped early (exit status $status)"
    fi
    echo "$SUMMARY"
}
trap 'status=$?; cleanup "$status"; if [ "$status" -eq 0 ] && [[ $SUMMARY != "ha-check: PASS"* ]]; then status=1; fi; exit "$status"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'SUMMARY="ha-check: FAIL time limit: the run took more than $TIME_LIMIT s"; show_logs; exit 1' USR1

# fail REASON: ends the run (the EXIT trap stops everything).
fail() {
    SUMMARY="ha-check: FAIL $*"
    show_logs
    exit 1
}
show_logs() {
    local name
    for name in etcd patroni-n1 patroni-n2 patroni-n3 haproxy migrate serve-a serve-b load; do
        if [ -s "$WORK/$name.log" ]; then
            echo "ha-check: --- last lines of $name's output ---"
            tail -n 8 "$WORK/$name.log" | cut -c1-300 | sed 's/^/ha-check: | /'
        fi
    done
}

mkfifo "$WORK/watchdog"
(
    read -r -t "$TIME_LIMIT" _ <>"$WORK/watchdog" || true
    kill -USR1 $$ 2>/dev/null || true
) &
WATCHDOG=$!

# free_ports N: N distinct free TCP ports on 127.0.0.1.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}
read -r ETCD_PORT ETCD_PEER PG1 PG2 PG3 REST1 REST2 REST3 HAPROXY_PORT API_A API_B <<<"$(free_ports 11)"
NODES=(n1 n2 n3)
declare -A PG_PORT=([n1]=$PG1 [n2]=$PG2 [n3]=$PG3)
declare -A REST_PORT=([n1]=$REST1 [n2]=$REST2 [n3]=$REST3)
DB_URL="postgres://postgres@127.0.0.1:$HAPROXY_PORT"

log "binary $BINARY"
log "work folder $WORK; etcd :$ETCD_PORT, PostgreSQL :$PG1 :$PG2 :$PG3, Patroni REST :$REST1 :$REST2 :$REST3, HAProxy :$HAPROXY_PORT, API :$API_A :$API_B"

# --- 2. etcd, three Patroni nodes, HAProxy -------------------------------------------------------
mkdir -m 700 "$WORK/etcd"
spawn etcd "$WORK" etcd --name e1 --data-dir "$WORK/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
    --initial-cluster "e1=http://127.0.0.1:$ETCD_PEER" --initial-cluster-state new --log-level warn
deadline=$((SECONDS + 20))
until curl -fsS --max-time 1 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"'; do
    running "$(pid_of etcd)" || fail "etcd exited at start"
    [ "$SECONDS" -lt "$deadline" ] || fail "etcd not healthy within 20 s"
    sleep 0.2
done
log "etcd $(etcd --version | awk '/etcd Version/ {print $3}') up on :$ETCD_PORT"

for node in "${NODES[@]}"; do
    dir="$WORK/$node"
    mkdir -m 700 "$dir"
    cat >"$dir/patroni.yml" <<EOF
scope: skyhigh-ha
namespace: /skyhigh-ha-check/
name: $node
restapi:
  listen: 127.0.0.1:${REST_PORT[$node]}
  connect_address: 127.0.0.1:${REST_PORT[$node]}
etcd3:
  hosts: 127.0.0.1:$ETCD_PORT
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 200
        wal_keep_size: 256MB
        hot_standby: "on"
  initdb:
    - encoding: UTF8
    - locale: C
  pg_hba:
    - local all all trust
    - host replication all 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${PG_PORT[$node]}
  connect_address: 127.0.0.1:${PG_PORT[$node]}
  data_dir: $dir/data
  bin_dir: $PGBIN
  pgpass: $dir/pgpass
  authentication:
    superuser:
      username: postgres
      password: ha-check-superuser
    replication:
      username: replicator
      password: ha-check-replicator
    rewind:
      username: postgres
      password: ha-check-superuser
  parameters:
    unix_socket_directories: $dir
    logging_collector: "off"
  pg_hba:
    - local all all trust
    - host replication all 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
EOF
    chown -R postgres: "$dir"
done
# One after the other, so that n1 bootstraps the cluster and the others clone it.
for node in "${NODES[@]}"; do
    spawn "patroni-$node" "$WORK/$node" env HOME="$WORK/$node" \
        setpriv --reuid=postgres --regid=postgres --init-groups -- patroni "$WORK/$node/patroni.yml"
    if [ "$node" = n1 ]; then sleep 1; fi
done

# cluster_state: "LEADER SYNC_STANDBYS RUNNING_REPLICAS" from the first node whose REST API
# answers `GET /cluster`.
cluster_state() {
    local node
    for node in "${NODES[@]}"; do
        if curl -fsS --max-time 1 "http://127.0.0.1:${REST_PORT[$node]}/cluster" 2>/dev/null | python3 -c '
import json, sys
members = json.load(sys.stdin).get("members", [])
leader = [m["name"] for m in members if m.get("role") in ("leader", "master", "primary") and m.get("state") == "running"]
sync = [m["name"] for m in members if m.get("role") == "sync_standby" and m.get("state") in ("running", "streaming")]
replicas = [m["name"] for m in members if m.get("role") in ("replica", "sync_standby") and m.get("state") in ("running", "streaming")]
print(leader[0] if leader else "-", ",".join(sync) or "-", ",".join(replicas) or "-")
' 2>/dev/null; then
            return 0
        fi
    done
    return 1
}
# replication_on PORT: "STREAMING SYNC" counted in pg_stat_replication on that node.
replication_on() {
    PGCONNECT_TIMEOUT=2 psql -X -At -F ' ' "postgres://postgres@127.0.0.1:$1/postgres" -c \
        "SELECT count(*) FILTER (WHERE state = 'streaming'), count(*) FILTER (WHERE sync_state = 'sync') FROM pg_stat_replication" \
        2>/dev/null
}

log "waiting for a Patroni leader and two streaming replicas (one synchronous)"
t0=$SECONDS
deadline=$((SECONDS + 120))
LEADER=""
while :; do
    for node in "${NODES[@]}"; do
        running "$(pid_of "patroni-$node")" || fail "patroni-$node exited during bootstrap"
    done
    if state=$(cluster_state); then
        read -r leader sync replicas <<<"$state"
        if [ "$leader" != - ] && [ "$sync" != - ] && [ "$(tr ',' '\n' <<<"$replicas" | grep -c .)" -eq 2 ]; then
            read -r streaming syncs <<<"$(replication_on "${PG_PORT[$leader]}" || echo "0 0")"
            if [ "${streaming:-0}" -eq 2 ] && [ "${syncs:-0}" -eq 1 ]; then
                LEADER=$leader
                break
            fi
        fi
    fi
    [ "$SECONDS" -lt "$deadline" ] || fail "no leader with two streaming replicas within 120 s (last: ${state:-no answer})"
    sleep 0.5
done
log "cluster ready after $((SECONDS - t0)) s: leader $LEADER, sync standby $sync, replicas $replicas (2 streaming, 1 sync in pg_stat_replication)"

cat >"$WORK/haproxy.cfg" <<EOF
global
    maxconn 1000
    log stdout format raw local0 notice
    stats socket $WORK/haproxy.sock mode 600 level user

defaults
    log global
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout check 2s

listen postgres
    bind 127.0.0.1:$HAPROXY_PORT
    option httpchk
    http-check send meth GET uri /primary
    http-check expect status 200
    default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
    server n1 127.0.0.1:$PG1 maxconn 300 check port $REST1
    server n2 127.0.0.1:$PG2 maxconn 300 check port $REST2
    server n3 127.0.0.1:$PG3 maxconn 300 check port $REST3
EOF
haproxy -c -q -f "$WORK/haproxy.cfg" >"$WORK/haproxy-check.log" 2>&1 || fail "haproxy rejected its configuration: $(tr '\n' ' ' <"$WORK/haproxy-check.log")"
spawn haproxy "$WORK" haproxy -db -f "$WORK/haproxy.cfg"

# through_haproxy: "f" when HAProxy hands connections to a primary (pg_is_in_recovery false).
through_haproxy() {
    PGCONNECT_TIMEOUT=2 PGOPTIONS='-c statement_timeout=3000' \
        psql -X -At "$DB_URL/postgres" -c 'SELECT pg_is_in_recovery()' 2>/dev/null
}
# haproxy_up: the servers HAProxy has UP, from its stats socket. At start HAProxy counts every
# server as UP until its checks have failed `fall` times, so it must settle before it is used.
haproxy_up() {
    python3 - "$WORK/haproxy.sock" <<'PY' 2>/dev/null
import csv, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
rows = csv.DictReader(data.decode().lstrip("# ").splitlines())
print(",".join(r["svname"] for r in rows if r["svname"] not in ("FRONTEND", "BACKEND") and r["status"].startswith("UP")) or "-")
PY
}
deadline=$((SECONDS + 20))
until [ "$(haproxy_up)" = "$LEADER" ] && [ "$(through_haproxy)" = f ]; do
    running "$(pid_of haproxy)" || fail "haproxy exited at start"
    [ "$SECONDS" -lt "$deadline" ] || fail "HAProxy did not settle on the primary within 20 s (UP: $(haproxy_up))"
    sleep 0.2
done
log "HAProxy on :$HAPROXY_PORT routes to the primary ($LEADER; the only server it has UP)"

# --- 3. database, migrate, two serve instances ---------------------------------------------------
PGCONNECT_TIMEOUT=5 psql -X -q "$DB_URL/postgres" -c 'CREATE DATABASE skyhigh' >"$WORK/createdb.log" 2>&1 \
    || fail "CREATE DATABASE through HAProxy failed: $(tr '\n' ' ' <"$WORK/createdb.log")"
ADMIN_TOKEN="ha-check-admin-token-$$-$RANDOM"
export SKYHIGH_DATABASE_URL="$DB_URL/skyhigh"
export SKYHIGH_ADMIN_TOKEN="$ADMIN_TOKEN"
export SKYHIGH_WEBHOOK_SECRET="ha-check-webhook-secret-$$-$RANDOM"
export SKYHIGH_STORE_TIMEOUT_SECONDS=$STORE_TIMEOUT
export SKYHIGH_HOST=127.0.0.1
export SKYHIGH_LOG_LEVEL=warning
export SKYHIGH_RATE_LIMIT_PER_SECOND=0
export SKYHIGH_ABUSE_ALLOWLIST=127.0.0.1
spawn migrate "$WORK" "$BINARY" migrate
wait_gone "$(pid_of migrate)" 60 || fail "skyhigh migrate still running after 60 s"
forget migrate
[ "$EXIT_STATUS" -eq 0 ] || fail "skyhigh migrate exited with $EXIT_STATUS: $(tail -n 3 "$WORK/migrate.log" | tr '\n' ' ')"
log "skyhigh migrate done"
SKYHIGH_PORT=$API_A spawn serve-a "$WORK" "$BINARY" serve
SKYHIGH_PORT=$API_B spawn serve-b "$WORK" "$BINARY" serve
for name in serve-a serve-b; do
    port=$API_A
    [ "$name" = serve-b ] && port=$API_B
    deadline=$((SECONDS + 60))
    until curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/health/ready" 2>/dev/null; do
        running "$(pid_of "$name")" || fail "$name exited at start: $(tail -n 3 "$WORK/$name.log" | tr '\n' ' ')"
        [ "$SECONDS" -lt "$deadline" ] || fail "$name: /health/ready not 200 within 60 s"
        sleep 0.2
    done
done
log "serve-a on :$API_A and serve-b on :$API_B ready (SKYHIGH_DATABASE_URL=$SKYHIGH_DATABASE_URL)"

# --- 4. data and load ----------------------------------------------------------------------------
python3 "$SCRIPT_DIR/ha/load.py" setup --api "http://127.0.0.1:$API_A" --admin-token "$ADMIN_TOKEN" \
    --passengers "$PASSENGERS" --instance "serve-a=http://127.0.0.1:$API_A" --instance "serve-b=http://127.0.0.1:$API_B" \
    --out "$WORK/config.json" >"$WORK/setup.log" 2>&1 || fail "set-up through the admin API failed: $(tail -n 3 "$WORK/setup.log" | tr '\n' ' ')"
log "data: $(tail -n 1 "$WORK/setup.log")"

LOAD_START=$(now)
spawn load "$WORK" python3 "$SCRIPT_DIR/ha/load.py" run --config "$WORK/config.json" \
    --records "$WORK/records.jsonl" --acks "$WORK/acks.jsonl" --progress "$WORK/progress.txt" \
    --stop-file "$WORK/stop" --clients "$CLIENTS" --timeout "$REQUEST_TIMEOUT" \
    --max-seconds $((WARMUP + RECOVERY_CAP + AFTER + DURATION))
log "load: $CLIENTS clients on serve-a and serve-b, client timeout $REQUEST_TIMEOUT s; killing the primary in $WARMUP s"

# progress: "REQUESTS OK_WRITES LAST_OK_WRITE_START LAST_OK_WRITE_END" from the load generator.
progress() { cat "$WORK/progress.txt" 2>/dev/null || echo "0 0 0 0"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
later() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }   # true if $1 >= $2

deadline=$((SECONDS + WARMUP))
next_note=$((SECONDS + 5))
while [ "$SECONDS" -lt "$deadline" ]; do
    running "$(pid_of load)" || fail "the load generator exited during the warm-up: $(tail -n 3 "$WORK/load.log" | tr '\n' ' ')"
    if [ "$SECONDS" -ge "$next_note" ]; then
        read -r requests ok_writes _ _ <<<"$(progress)"
        log "warm-up: $requests requests, $ok_writes successful writes"
        next_note=$((SECONDS + 5))
    fi
    sleep 0.5
done
read -r requests ok_writes _ _ <<<"$(progress)"
[ "$ok_writes" -gt 0 ] || fail "no successful write during the $WARMUP s warm-up ($requests requests)"

# --- 5. kill the primary -------------------------------------------------------------------------
state=$(cluster_state) || fail "no Patroni node answers GET /cluster before the kill"
read -r VICTIM sync_before _ <<<"$state"
[ "$VICTIM" != - ] || fail "no leader before the kill ($state)"
VICTIM_PATRONI=$(pid_of "patroni-$VICTIM")
VICTIM_PM=$(postmaster_pid "$VICTIM") || fail "no running postmaster in $WORK/$VICTIM/data/postmaster.pid"
mapfile -t ORPHANS < <(ps -o pid= --ppid "$VICTIM_PM" | tr -d ' ')
log "warm-up done: $requests requests, $ok_writes successful writes"
log "killing the primary $VICTIM: SIGKILL to Patroni (PID $VICTIM_PATRONI) and the postmaster (PID $VICTIM_PM); sync standby was $sync_before"
{
    kill -KILL "$VICTIM_PATRONI"
    kill -KILL "$VICTIM_PM"
    KILL_TIME=$(now)
    wait_gone "$VICTIM_PATRONI" 5 || true
} 2>/dev/null   # no "Killed" job notice
forget "patroni-$VICTIM"
SURVIVORS=()
for node in "${NODES[@]}"; do [ "$node" = "$VICTIM" ] || SURVIVORS+=("$node"); done

NEW_LEADER="" NEW_LEADER_AT="" HAPROXY_AT="" RECOVERED_AT=""
LOAD_END_AT=$(awk -v s="$LOAD_START" -v d="$DURATION" 'BEGIN { printf "%.3f", s + d }')
next_note=$((SECONDS + 5))
while :; do
    t=$(now)
    running "$(pid_of load)" || break
    if [ -z "$NEW_LEADER" ]; then
        for node in "${SURVIVORS[@]}"; do
            if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:${REST_PORT[$node]}/primary")" = 200 ]; then
                NEW_LEADER=$node
                NEW_LEADER_AT=$(now)
                log "new leader: $node answers 200 on /primary $(elapsed "$KILL_TIME") s after the kill"
                break
            fi
        done
    fi
    if [ -n "$NEW_LEADER" ] && [ -z "$HAPROXY_AT" ] && [ "$(through_haproxy)" = f ]; then
        HAPROXY_AT=$(now)
        log "HAProxy routes to the new primary $(elapsed "$KILL_TIME") s after the kill"
    fi
    if [ -z "$RECOVERED_AT" ]; then
        read -r _ _ last_start last_end <<<"$(progress)"
        if later "$last_start" "$KILL_TIME"; then
            RECOVERED_AT=$last_end
            log "writes succeed again: first success $(awk -v a="$KILL_TIME" -v b="$last_end" 'BEGIN { printf "%.1f", b - a }') s after the kill (or earlier; exact figure below)"
            LOAD_END_AT=$(awk -v a="$LOAD_END_AT" -v b="$(now)" -v d="$AFTER" 'BEGIN { x = b + d; printf "%.3f", (x > a ? x : a) }')
        elif later "$t" "$(awk -v k="$KILL_TIME" -v c="$RECOVERY_CAP" 'BEGIN { printf "%.3f", k + c }')"; then
            log "no successful write within $RECOVERY_CAP s of the kill; stopping the load"
            break
        fi
    fi
    if [ -n "$RECOVERED_AT" ] && later "$t" "$LOAD_END_AT"; then break; fi
    if [ "$SECONDS" -ge "$next_note" ]; then
        read -r requests ok_writes _ _ <<<"$(progress)"
        log "+$(elapsed "$KILL_TIME") s: $requests requests, $ok_writes successful writes so far"
        next_note=$((SECONDS + 5))
    fi
    sleep 0.25
done
touch "$WORK/stop"
LOAD_PID=$(pid_of load)
if ! wait_gone "$LOAD_PID" $((REQUEST_TIMEOUT + 10)); then
    log "the load generator did not stop within $((REQUEST_TIMEOUT + 10)) s; stopping it"
    kill -TERM "$LOAD_PID" 2>/dev/null || true
    wait_gone "$LOAD_PID" 5 || kill -KILL "$LOAD_PID" 2>/dev/null || true
fi
forget load
log "load stopped after $(elapsed "$LOAD_START") s: $(tail -n 1 "$WORK/load.log")"

# --- 6. verdict ----------------------------------------------------------------------------------
REASONS=()
LINES=()
state=$(cluster_state || echo "- - -")
read -r leader_after sync_after replicas_after <<<"$state"
LINES+=("topology: etcd 3.4 + 3 Patroni nodes (PostgreSQL $PG_MAJOR, synchronous_mode_strict) behind HAProxy; killed $VICTIM (leader), sync standby was $sync_before")
LINES+=("after: leader $leader_after, sync standby $sync_after, replicas $replicas_after")
if [ -n "$NEW_LEADER" ] && [ "$NEW_LEADER" != "$sync_before" ]; then
    REASONS+=("the new leader $NEW_LEADER was not the synchronous standby ($sync_before)")
fi
rel_or_never() { if [ -n "$1" ]; then awk -v a="$KILL_TIME" -v b="$1" 'BEGIN { printf "%.1f s", b - a }'; else echo never; fi; }
LINES+=("failover: new leader on /primary after $(rel_or_never "$NEW_LEADER_AT"), HAProxy to the new primary after $(rel_or_never "$HAPROXY_AT")")
[ -n "$NEW_LEADER" ] || REASONS+=("no new leader after the kill")
for name in serve-a serve-b; do
    if ! running "$(pid_of "$name")"; then
        REASONS+=("$name exited during the run")
        LINES+=("$name exited: $(tail -n 2 "$WORK/$name.log" | tr '\n' ' ' | cut -c1-200)")
    fi
done
warnings_a=$(grep -ci -e 'error' -e 'warning' "$WORK/serve-a.log" || true)
warnings_b=$(grep -ci -e 'error' -e 'warning' "$WORK/serve-b.log" || true)
LINES+=("serve logs: $warnings_a (serve-a) and $warnings_b (serve-b) lines at warning level or above")

export PGCONNECT_TIMEOUT=5 PGOPTIONS='-c statement_timeout=10000'
if ! psql -X -At -F $'\t' "$DB_URL/skyhigh" -c \
    "SELECT hold_id, flight_id, seat_id, passenger_id, state, (state = 'CONFIRMED' OR (state = 'HELD' AND expires_at > now())) FROM holds" \
    >"$WORK/holds.tsv" 2>"$WORK/psql.err"; then
    REASONS+=("cannot read table holds through HAProxy: $(tr '\n' ' ' <"$WORK/psql.err")")
    : >"$WORK/holds.tsv"
fi
if ! psql -X -At -F ' ' "$DB_URL/skyhigh" -c \
    "SELECT flight_id || '/' || seat_id, count(*) FROM holds WHERE state = 'CONFIRMED' OR (state = 'HELD' AND expires_at > now()) GROUP BY flight_id, seat_id HAVING count(*) > 1" \
    >"$WORK/dupes.tsv" 2>"$WORK/psql.err"; then
    REASONS+=("cannot check live holds per seat through HAProxy: $(tr '\n' ' ' <"$WORK/psql.err")")
fi
counts=$(psql -X -At -F ' ' "$DB_URL/skyhigh" -c "SELECT count(*), count(*) FILTER (WHERE state = 'CONFIRMED') FROM holds" 2>/dev/null || echo "? ?")
LINES+=("database (through HAProxy): $(awk '{print $1}' <<<"$counts") holds, $(awk '{print $2}' <<<"$counts") CONFIRMED")

python3 - "$WORK/facts.json" "${#LINES[@]}" "${LINES[@]}" "${REASONS[@]}" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
lines, reasons = sys.argv[3:3 + n], sys.argv[3 + n:]
json.dump({"lines": lines, "reasons": reasons}, open(path, "w"))
PY
verdict=0
python3 "$SCRIPT_DIR/ha/load.py" verdict --config "$WORK/config.json" --records "$WORK/records.jsonl" \
    --acks "$WORK/acks.jsonl" --holds "$WORK/holds.tsv" --live-dupes "$WORK/dupes.tsv" --kill-time "$KILL_TIME" \
    --facts "$WORK/facts.json" --summary "$WORK/summary.txt" --clients "$CLIENTS" --timeout "$REQUEST_TIMEOUT" \
    --store-timeout "$STORE_TIMEOUT" --margin "$MARGIN" --max-outage "$MAX_OUTAGE" || verdict=$?
SUMMARY=$(cat "$WORK/summary.txt" 2>/dev/null || echo "ha-check: FAIL the verdict could not be computed (exit $verdict)")

# An instance that lived through the failover must still stop cleanly: SIGTERM, exit 0 within
# 15 s (as scripts/compose-smoke.sh asks of every process).
shutdown_reasons=()
shutdown_notes=()
term_at=$(now)
term_deadline=$((SECONDS + 15))
for name in serve-a serve-b; do
    pid=$(pid_of "$name") || continue
    if [ -n "$pid" ] && running "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
done
for name in serve-a serve-b; do
    pid=$(pid_of "$name") || continue
    [ -n "$pid" ] || continue
    left=$((term_deadline - SECONDS))
    [ "$left" -gt 0 ] || left=1
    if wait_gone "$pid" "$left"; then
        shutdown_notes+=("$name exited $EXIT_STATUS within $(elapsed "$term_at") s")
        [ "$EXIT_STATUS" -eq 0 ] || shutdown_reasons+=("$name exited $EXIT_STATUS on SIGTERM")
    else
        shutdown_notes+=("$name still running 15 s after SIGTERM")
        shutdown_reasons+=("$name did not stop within 15 s of SIGTERM after the failover")
        { kill -KILL "$pid"; wait_gone "$pid" 5; } 2>/dev/null || true
    fi
    forget "$name"
done
join() { local IFS=';'; echo "$*" | sed 's/;/; /g'; }
log "shutdown after the failover: $(join "${shutdown_notes[@]}")"
if [ "${#shutdown_reasons[@]}" -gt 0 ]; then
    extra=$(join "${shutdown_reasons[@]}")
    case "$SUMMARY" in
        "ha-check: PASS "*) SUMMARY="ha-check: FAIL $extra [${SUMMARY#ha-check: PASS }]" ;;
        *) SUMMARY="ha-check: FAIL $extra; ${SUMMARY#ha-check: FAIL }" ;;
    esac
    exit 1
fi
[ "$verdict" -eq 0 ] || exit 1
exit 0
