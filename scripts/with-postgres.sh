#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
#
# Starts a throwaway PostgreSQL server on 127.0.0.1 (free port from 54329 upward, data in a
# fresh temporary folder, trust authentication, superuser role "postgres"), exports
#   SKYHIGH_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/postgres
# (the maintenance database; tests CREATE DATABASE their own), runs COMMAND, then stops the
# server and removes the folder on every exit path. Exits with COMMAND's exit code.
#
# Binaries: $PG_BIN if set, else `pg_config --bindir`, /usr/lib/postgresql/*/bin (highest
# version), or the directory of `command -v initdb`. Exit 3 if none are found.
# As root, the server runs as the OS user "postgres" (created if missing), since PostgreSQL
# refuses to run as root.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/postgres.sh
source "$SCRIPT_DIR/lib/postgres.sh"

log() { echo "with-postgres: $*" >&2; }

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

if ! PGBIN_DIR=$(skyhigh_find_pg_bin); then
    log "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found."
    log "searched: \$PG_BIN, \`pg_config --bindir\`, /usr/lib/postgresql/*/bin, \`command -v initdb\`."
    log "install them (Debian/Ubuntu: apt-get install -y postgresql) or set PG_BIN=/path/to/bin."
    exit 3
fi

AS_ROOT=0
if [ "$(id -u)" -eq 0 ]; then
    AS_ROOT=1
    if ! id -u postgres >/dev/null 2>&1; then
        log "creating system user 'postgres' (the server refuses to run as root)"
        useradd --system --no-create-home postgres
    fi
fi

# Run a PostgreSQL binary as the right OS user, from a directory that user can read.
pg_run() {
    local bin=$1
    shift
    if [ "$AS_ROOT" -eq 1 ]; then
        (cd / && runuser -u postgres -- "$PGBIN_DIR/$bin" "$@")
    else
        (cd / && "$PGBIN_DIR/$bin" "$@")
    fi
}

port_is_free() {
    local port=$1
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$port" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
    else
        # Without python3: free if nothing accepts a connection there.
        ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

WORK_DIR=""
DATA_DIR=""
SERVER_STARTED=0

cleanup() {
    trap '' INT TERM
    if [ "$SERVER_STARTED" -eq 1 ] && [ -n "$DATA_DIR" ] && [ -f "$DATA_DIR/postmaster.pid" ]; then
        if ! pg_run pg_ctl -D "$DATA_DIR" -m fast -w -t 30 stop >/dev/null 2>&1; then
            log "fast stop failed; stopping immediately"
            pg_run pg_ctl -D "$DATA_DIR" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        fi
    fi
    if [ -n "$WORK_DIR" ] && [ -d "$WORK_DIR" ]; then
        rm -rf -- "$WORK_DIR"
    fi
}
trap 'status=$?; cleanup; exit "$status"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/skyhigh-pg.XXXXXX")
if [ "$AS_ROOT" -eq 1 ] && ! runuser -u postgres -- test -x "$WORK_DIR"; then
    # $TMPDIR is not reachable by the postgres user (e.g. under /root): use /tmp.
    rm -rf -- "$WORK_DIR"
    WORK_DIR=$(mktemp -d /tmp/skyhigh-pg.XXXXXX)
fi
DATA_DIR="$WORK_DIR/data"
SERVER_LOG="$WORK_DIR/server.log"
mkdir -m 700 "$DATA_DIR"
if [ "$AS_ROOT" -eq 1 ]; then
    chown -R postgres: "$WORK_DIR"
fi

if ! pg_run initdb -D "$DATA_DIR" -U postgres -A trust -E UTF8 --no-locale >"$WORK_DIR/initdb.log" 2>&1; then
    log "initdb failed:"
    cat "$WORK_DIR/initdb.log" >&2
    exit 1
fi

# Tests trade durability for speed; benchmarks (SKYHIGH_PG_DURABLE=1) keep production's fsync
# and synchronous commit, so that commits cost what they cost in production.
if [ "${SKYHIGH_PG_DURABLE:-}" = "1" ]; then
    DURABILITY=""
else
    DURABILITY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi

PORT=""
port=54329
attempts=0
while [ "$attempts" -lt 20 ] && [ "$port" -le 65535 ]; do
    if port_is_free "$port"; then
        attempts=$((attempts + 1))
        SERVER_STARTED=1
        if pg_run pg_ctl -D "$DATA_DIR" -l "$SERVER_LOG" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $WORK_DIR -c max_connections=200 $DURABILITY" \
            start >/dev/null 2>&1; then
            PORT=$port
            break
        fi
        # Someone may have taken the port between the check and the start: try the next one.
        pg_run pg_ctl -D "$DATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
        SERVER_STARTED=0
        if ! grep -q -e 'could not bind' -e 'Address already in use' "$SERVER_LOG" 2>/dev/null; then
            log "PostgreSQL failed to start; server log ($SERVER_LOG):"
            cat "$SERVER_LOG" >&2 2>/dev/null || true
            exit 1
        fi
        log "port $port was taken while starting; trying the next one"
        : >"$SERVER_LOG"
    fi
    port=$((port + 1))
done

if [ -z "$PORT" ]; then
    log "could not start PostgreSQL on any port from 54329 upward; last server log:"
    cat "$SERVER_LOG" >&2 2>/dev/null || true
    exit 1
fi

export SKYHIGH_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
log "PostgreSQL $("$PGBIN_DIR/postgres" --version | sed -n 's/^postgres (PostgreSQL) \([^ ]*\).*/\1/p') running at $SKYHIGH_TEST_POSTGRES_URL (data: $DATA_DIR)"

set +e
"$@"
status=$?
set -e
exit "$status"
