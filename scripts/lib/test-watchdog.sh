# shellcheck shell=bash
# bounded_pass LIMIT COMMAND...: runs a `swift test` command with its output shown and kept, and
# answers its exit status. If it is still running after LIMIT seconds, it names the tests that
# started and never ended (from swift-testing's "started" and "passed/failed after" lines),
# stops the command and everything it started (by PID), and answers 124. Sourced by
# scripts/test-passes.sh.

# shellcheck source=processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/processes.sh"

bounded_pass() {
    local limit=$1
    shift
    local log
    log=$(mktemp "${TMPDIR:-/tmp}/skyhigh-test-pass.XXXXXX")
    "$@" > >(tee "$log") 2>&1 &
    local pid=$! deadline=$((SECONDS + limit)) pass_status=0
    while running "$pid"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            {
                echo
                echo "test-passes: '$*' was still running after $limit s; stopping it."
                echo "test-passes: tests that started and never ended:"
                unfinished_tests "$log" | sed 's/^/    /'
            } >&2
            stop_tree "$pid"
            wait "$pid" 2>/dev/null
            rm -f "$log"
            return 124
        fi
        sleep 1
    done
    wait "$pid" || pass_status=$?
    rm -f "$log"
    return "$pass_status"
}

# unfinished_tests LOG: every test LOG says started more often than it says ended, by name.
unfinished_tests() {
    sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
        /Test case passing/ { next }
        match($0, /Test [^ ]+\([^)]*\)/) {
            name = substr($0, RSTART + 5, RLENGTH - 5)
            if ($0 ~ / started\.$/) open[name]++
            else if ($0 ~ / (passed|failed) after / || $0 ~ / skipped/) open[name]--
        }
        END { for (name in open) if (open[name] > 0) print name }'
}

# stop_tree PID: SIGKILL to PID and every process it started, children first.
stop_tree() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null); do stop_tree "$child"; done
    kill -KILL "$1" 2>/dev/null || true
}
