#!/usr/bin/env bash
# The whole suite in two passes (run by scripts/test.sh with no arguments): every suite but the
# fleet's, then the fleet suites (FleetGuardTests, FleetRedisOutageTests), which start server
# processes and a redis-server of their own. Exits non-zero if either pass fails.
#
# Each pass is bounded: one still running after SKYHIGH_TEST_PASS_LIMIT seconds (1200 by default;
# a pass takes one to four minutes on two cores) is stopped, and the tests that started and never
# ended are named. A test that hangs then fails the run in minutes, with its name, instead of
# holding it until CI's own time limit ends it with nothing said.
set -uo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/test-watchdog.sh
source "$SCRIPT_DIR/lib/test-watchdog.sh"

LIMIT=${SKYHIGH_TEST_PASS_LIMIT:-1200}
status=0
bounded_pass "$LIMIT" swift test --skip Fleet || status=$?
bounded_pass "$LIMIT" swift test --skip-build --filter Fleet || status=$?
exit "$status"
