# The skyhigh binary a script runs (sourced by lib/processes.sh and ha-check.sh).

# skyhigh_binary NAME REPO_ROOT: makes $BINARY an absolute path, first building the debug binary
# (swift build --product skyhigh) when it is empty; exits with FAIL if it is not executable.
skyhigh_binary() {
    local name=$1 root=$2 log="${TMPDIR:-/tmp}/skyhigh-$1-build.$$.log"
    if [ -z "$BINARY" ]; then
        echo "$name: building skyhigh (swift build --product skyhigh)"
        if ! (cd "$root" && swift build --product skyhigh >"$log" 2>&1); then
            tail -n 30 "$log" >&2
            rm -f "$log"
            echo "FAIL  build: swift build --product skyhigh failed"
            exit 1
        fi
        rm -f "$log"
        BINARY="$(cd "$root" && swift build --show-bin-path)/skyhigh"
    fi
    case "$BINARY" in /*) ;; *) BINARY="$PWD/$BINARY" ;; esac
    if [ ! -x "$BINARY" ]; then
        echo "FAIL  binary: $BINARY is not an executable file"
        exit 1
    fi
}
