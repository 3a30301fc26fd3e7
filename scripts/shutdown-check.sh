#!/usr/bin/env bash
# Graceful shutdown under load: `skyhigh serve` (embedded store) takes requests from 16 client
# threads; after 2 s it gets SIGTERM. Every request must be answered in full, refused at
# connect (the server had stopped accepting), or reset before any byte of an answer (a
# connection still in the kernel's queue, or idle, when the listener closed: the server never
# read that request). A request that gets part of an answer, or none before the 5 s timeout, is
# lost, and fails the check, as does an exit code other than 0.
# Usage: scripts/shutdown-check.sh [--binary PATH]. Runs on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=""
if [ "${1:-}" = "--binary" ]; then BIN="$2"; fi
if [ -z "$BIN" ]; then
    swift build --product skyhigh 2>&1 | tail -1
    BIN="$(swift build --show-bin-path)/skyhigh"
fi
WORK=$(mktemp -d)
PID=""
cleanup() { if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi; rm -rf "$WORK"; }
trap cleanup EXIT
export SKYHIGH_DATABASE_URL="sqlite:$WORK/skyhigh.sqlite" SKYHIGH_LOG_LEVEL=error
export SKYHIGH_ADMIN_TOKEN=shutdown-admin-token-0123 SKYHIGH_WEBHOOK_SECRET=shutdown-webhook-secret-0123
export SKYHIGH_RATE_LIMIT_PER_SECOND=0 SKYHIGH_ABUSE_ALLOWLIST=127.0.0.1
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" demo-data >/dev/null
SKYHIGH_PORT=$PORT "$BIN" serve >"$WORK/serve.log" 2>&1 & PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done
(python3 - "$PORT" "$PID" <<'PY'
import http.client, os, signal, sys, threading, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
paths = ["/flights/SH101/seatmap", "/flights/SH202", "/health/ready", "/flights/SH303/seatmap"]
counts = {"answered": 0, "refused": 0, "reset": 0, "lost": 0}
lock = threading.Lock()
stop = time.monotonic() + 5
def client(n):
    i = 0
    while time.monotonic() < stop:
        i += 1
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.connect()
        except (ConnectionRefusedError, OSError):
            with lock: counts["refused"] += 1
            time.sleep(0.01)
            continue
        try:
            conn.request("GET", paths[(n + i) % len(paths)])
            response = conn.getresponse()
            response.read()
            outcome = "answered"
        except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
            outcome = "reset"
        except Exception as error:
            outcome = "lost"
            print(f"lost: {type(error).__name__}: {error}", file=sys.stderr)
        finally:
            conn.close()
        with lock: counts[outcome] += 1
threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
for t in threads: t.start()
time.sleep(2)
with lock: before = counts["answered"]
os.kill(pid, signal.SIGTERM)
for t in threads: t.join()
print(f"answered {counts['answered']} ({before} before SIGTERM), refused at connect {counts['refused']}, "
      f"reset before any answer {counts['reset']}, lost {counts['lost']}")
sys.exit(1 if counts["lost"] else 0)
PY
) || { echo "FAIL: requests were lost"; exit 1; }
status=0
wait "$PID" || status=$?
PID=""
echo "serve exited with $status"
[ "$status" -eq 0 ] || { echo "FAIL: serve did not exit 0"; tail -5 "$WORK/serve.log"; exit 1; }
echo "PASS: no accepted request was lost and serve exited 0"
