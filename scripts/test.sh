#!/usr/bin/env bash
# The project's one test command: `scripts/test.sh [swift test args...]`, e.g.
#   scripts/test.sh --filter PostgresStoreTests
# Runs `swift test` against a throwaway PostgreSQL server (scripts/with-postgres.sh) when
# PostgreSQL server binaries are found; otherwise warns loudly and runs `swift test` without
# it, so the PostgreSQL suite is skipped. With SKYHIGH_REQUIRE_POSTGRES=1, missing PostgreSQL
# is an error (exit 1) instead. Works from any current directory.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=lib/postgres.sh
source "$SCRIPT_DIR/lib/postgres.sh"
cd "$REPO_ROOT"

# With no arguments, the whole suite runs in two passes: everything else, then the fleet suites,
# which start several server processes and a redis-server of their own, so that their load and
# the other suites' timing checks do not meet on a 2-core machine.
if [ "$#" -eq 0 ]; then
    set -- "$SCRIPT_DIR/test-passes.sh"
else
    set -- swift test "$@"
fi

if PG_BIN_FOUND=$(skyhigh_find_pg_bin); then
    echo "test.sh: using PostgreSQL binaries in $PG_BIN_FOUND" >&2
    PG_BIN="$PG_BIN_FOUND" exec "$SCRIPT_DIR/with-postgres.sh" "$@"
fi

if [ "${SKYHIGH_REQUIRE_POSTGRES:-}" = "1" ]; then
    cat >&2 <<'MSG'
test.sh: ERROR: SKYHIGH_REQUIRE_POSTGRES=1, but no PostgreSQL server binaries
(initdb, pg_ctl, postgres) were found. Install them (Debian/Ubuntu:
apt-get install -y postgresql) or set PG_BIN=/path/to/postgresql/bin.
MSG
    exit 1
fi

cat >&2 <<'MSG'

############################################################################
##  WARNING: no PostgreSQL server binaries found (initdb, pg_ctl, postgres).
##  The PostgreSQL test suite will be SKIPPED; only the other tests run.
##  To run it: apt-get install -y postgresql   (Debian/Ubuntu)
##         or: PG_BIN=/path/to/postgresql/bin scripts/test.sh
############################################################################

MSG
exec "$@"
