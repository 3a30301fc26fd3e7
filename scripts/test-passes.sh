#!/usr/bin/env bash
# The whole suite in two passes (run by scripts/test.sh with no arguments): every suite but the
# fleet's, then the fleet suites (FleetGuardTests, FleetRedisOutageTests), which start server
# processes and a redis-server of their own. Exits non-zero if either pass fails.
set -uo pipefail
status=0
swift test --skip Fleet || status=$?
swift test --skip-build --filter Fleet || status=$?
exit "$status"
