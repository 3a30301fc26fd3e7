# shellcheck shell=bash
# Shared helpers for finding PostgreSQL server binaries.
# Sourced by scripts/with-postgres.sh, scripts/test.sh and .ci/run; not executable on its own.

# skyhigh_pg_bin_ok DIR: true if DIR holds the server binaries we need.
skyhigh_pg_bin_ok() {
    local dir=$1
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]
}

# skyhigh_find_pg_bin: print the directory holding initdb, pg_ctl and postgres, or return 1.
# Search order: $PG_BIN (if set, it is the only candidate), `pg_config --bindir`,
# /usr/lib/postgresql/*/bin (highest version first), the directory of `command -v initdb`.
skyhigh_find_pg_bin() {
    local dir candidate initdb_path

    if [ -n "${PG_BIN:-}" ]; then
        if skyhigh_pg_bin_ok "$PG_BIN"; then
            printf '%s\n' "$PG_BIN"
            return 0
        fi
        echo "PG_BIN is set to '$PG_BIN', but initdb, pg_ctl and postgres are not all there." >&2
        return 1
    fi

    if command -v pg_config >/dev/null 2>&1; then
        # pg_config may come from libpq-dev alone; its bindir then lacks the server binaries.
        dir=$(pg_config --bindir 2>/dev/null || true)
        if skyhigh_pg_bin_ok "$dir"; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi

    # Highest major version first (sort -V copes with 9.6 vs 15).
    while IFS= read -r candidate; do
        if skyhigh_pg_bin_ok "$candidate"; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -rV)

    if initdb_path=$(command -v initdb 2>/dev/null); then
        # /usr/local/bin/initdb may be a symlink into the real bin directory.
        dir=$(dirname "$(readlink -f "$initdb_path")")
        if skyhigh_pg_bin_ok "$dir"; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi

    return 1
}
