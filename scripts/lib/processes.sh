# shellcheck shell=bash
# Helpers for scripts that start skyhigh processes on 127.0.0.1, check them over HTTP and stop
# every process they started, by PID, on every exit path, within a time limit. Sourced by
# scripts/compose-smoke.sh and scripts/demo.sh; not executable on its own.
#
# run_begin NAME TIME_LIMIT starts the run: a temporary folder $WORK (removed at the end), the
# EXIT, INT, TERM and time-limit traps, and the watchdog. A script may define run_cleanup_hook,
# called at the end before $WORK is removed. pass and fail report steps; fail ends the run.

# shellcheck source=binary.sh
source "$(dirname "${BASH_SOURCE[0]}")/binary.sh"

# run_begin NAME TIME_LIMIT
run_begin() {
    RUN_NAME=$1
    TIME_LIMIT=$2
    # From here on the run is bounded, and everything it starts is stopped by the EXIT trap.
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/skyhigh-$RUN_NAME.XXXXXX")
    PIDS=()     # every process started and not yet waited for, by PID
    NAMES=()    # its name, same index
    SIGNALS=()  # the signal that stops it gracefully, same index
    LOGS=()     # the name of every process started, for its log
    WATCHDOG=""
    FAILED=0
    STEPS=0
    STARTED_AT=$SECONDS
    # The output the run started with, for the final report even if a step had redirected it.
    exec 8>&1
    trap 'status=$?; cleanup "$status"; exit "$status"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'FAILED=$((FAILED + 1)); echo "FAIL  time limit: the run took more than $TIME_LIMIT s"; exit 1' USR1

    # The watchdog: a subshell that waits on a FIFO nobody writes (no child process to leave
    # behind), then tells this script that time is up.
    mkfifo "$WORK/watchdog"
    (
        read -r -t "$TIME_LIMIT" _ <>"$WORK/watchdog" || true
        kill -USR1 $$ 2>/dev/null || true
    ) &
    WATCHDOG=$!
}

pass() { STEPS=$((STEPS + 1)); printf 'PASS  %s\n' "$*"; }
skip() { STEPS=$((STEPS + 1)); printf 'SKIP  %s\n' "$*"; }
# fail STEP DETAIL: reports the step and ends the run (the EXIT trap cleans up).
fail() {
    STEPS=$((STEPS + 1))
    FAILED=$((FAILED + 1))
    printf 'FAIL  %s\n' "$1"
    [ -z "${2:-}" ] || printf '      %s\n' "$2"
    exit 1
}

# running PID: true while PID has not exited (a zombie counts as exited).
running() {
    local state
    if [ -r "/proc/$1/stat" ]; then
        state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
        [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
    else
        state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
        [ -n "$state" ] && [[ $state != Z* ]]
    fi
}

# wait_exit PID SECONDS: waits for PID (a child of this shell: never call it in a subshell) to
# exit and sets EXIT_STATUS to its exit status; returns 1 if it is still running after SECONDS.
EXIT_STATUS=""
wait_exit() {
    local pid=$1 limit=$2
    local deadline=$((SECONDS + limit))
    EXIT_STATUS=""
    while running "$pid"; do
        if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
        sleep 0.1
    done
    EXIT_STATUS=0
    wait "$pid" 2>/dev/null || EXIT_STATUS=$?
}

show_logs() {
    local name
    for name in "${LOGS[@]}"; do
        if [ -s "$WORK/$name.log" ]; then
            echo "      --- last lines of $name's output ---"
            tail -n 15 "$WORK/$name.log" | sed 's/^/      | /'
        fi
    done
}

cleanup() {
    local status=$1 i pid
    trap '' INT TERM USR1
    exec 1>&8
    if [ -n "$WATCHDOG" ]; then
        kill "$WATCHDOG" 2>/dev/null || true
        wait "$WATCHDOG" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ "${#LOGS[@]}" -gt 0 ]; then show_logs; fi
    for i in "${!PIDS[@]}"; do
        pid=${PIDS[$i]}
        if running "$pid"; then kill "-${SIGNALS[$i]:-TERM}" "$pid" 2>/dev/null || true; fi
    done
    for i in "${!PIDS[@]}"; do
        pid=${PIDS[$i]}
        if ! wait_exit "$pid" 10; then
            echo "      ${NAMES[$i]} (PID $pid) ignored SIGTERM for 10 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if declare -F run_cleanup_hook >/dev/null; then run_cleanup_hook; fi
    rm -rf -- "$WORK"
    if [ "$status" -eq 0 ]; then
        echo "$RUN_NAME: PASS ($STEPS steps in $((SECONDS - STARTED_AT)) s)"
    else
        [ "$FAILED" -gt 0 ] || echo "FAIL  the run stopped early (exit status $status)"
        echo "$RUN_NAME: FAIL (exit status $status after $((SECONDS - STARTED_AT)) s)"
    fi
}
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start NAME ARGS...: starts the binary in the background with its output in $WORK/NAME.log.
start() {
    local name=$1
    shift
    start_program "$name" TERM "$BINARY" "$@"
}

# start_program NAME SIGNAL PROGRAM ARGS...: starts PROGRAM in the background with its output in
# $WORK/NAME.log; SIGNAL stops it gracefully.
start_program() {
    local name=$1 signal=$2
    shift 2
    # From the temporary folder, so nothing a process writes to its working directory (an
    # instrumented build's default.profraw, say) lands in the checkout.
    (cd "$WORK" && exec "$@") >"$WORK/$name.log" 2>&1 &
    PIDS+=("$!")
    NAMES+=("$name")
    SIGNALS+=("$signal")
    LOGS+=("$name")
}

pid_of() {
    local i
    for i in "${!NAMES[@]}"; do
        if [ "${NAMES[$i]}" = "$1" ]; then printf '%s\n' "${PIDS[$i]}"; return 0; fi
    done
    return 1
}

# wait_http NAME URL: waits (at most 30 s) until URL answers 200 while NAME keeps running.
wait_http() {
    local name=$1 url=$2 pid
    pid=$(pid_of "$name")
    local deadline=$((SECONDS + 30)) start_ms
    start_ms=$(date +%s%N)
    while :; do
        if curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null; then
            pass "$name ready: $url answers 200 ($(( ($(date +%s%N) - start_ms) / 1000000 )) ms)"
            return 0
        fi
        running "$pid" || fail "$name ready" "$name (PID $pid) exited before $url answered"
        [ "$SECONDS" -lt "$deadline" ] || fail "$name ready" "$url did not answer 200 within 30 s"
        sleep 0.1
    done
}

# http METHOD URL [BODY] [TOKEN]: the answer's body goes to $WORK/body, its status to $STATUS.
STATUS=""
http() {
    local method=$1 url=$2 body=${3:-} token=${4:-}
    rm -f "$WORK/body"
    local args=(-sS --max-time 10 -o "$WORK/body" -w '%{http_code}' -X "$method")
    [ -z "$token" ] || args+=(-H "Authorization: Bearer $token")
    if [ -n "$body" ]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$body")
    fi
    STATUS=$(curl "${args[@]}" "$url" 2>"$WORK/curl.err") || STATUS="000 ($(tr -d '\n' <"$WORK/curl.err"))"
}

# expect STEP CODE: fails STEP unless the last answer had status CODE.
expect() {
    if [ "$STATUS" != "$2" ]; then
        fail "$1" "expected HTTP $2, got $STATUS: $(head -c 400 "$WORK/body" 2>/dev/null)"
    fi
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
