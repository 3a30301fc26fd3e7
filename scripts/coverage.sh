#!/usr/bin/env bash
# Usage: scripts/coverage.sh [--scratch-path DIR] [--min PERCENT] [--no-test] [swift test args...]
#
# Runs the test suite with code coverage (`scripts/test.sh --enable-code-coverage`, so the
# PostgreSQL tests count when PostgreSQL server binaries are installed), then prints the line
# coverage of each source target, counting only files under Sources/, and one combined figure
# for the domain and the stores: SkyHighCore + SkyHighStore + SkyHighSQLite + SkyHighPostgres.
# Exits non-zero if the tests fail or if that combined figure is below the minimum.
#
#   --scratch-path DIR  build folder for `swift test` and where the coverage data is read
#                       (default: $SKYHIGH_SCRATCH, else .build); use your own to keep out of
#                       the way of other builds: an instrumented build replaces the plain one
#   --min PERCENT       the lowest acceptable combined figure (default 85)
#   --no-test           do not run the tests: report on the coverage data of the last run
#   --files             also print llvm-cov's per-file report for Sources/
# Other arguments go to `swift test`, e.g. `scripts/coverage.sh --filter SkyHighCoreTests`.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$REPO_ROOT"

SCRATCH=${SKYHIGH_SCRATCH:-.build}
MINIMUM=85
RUN_TESTS=1
FILES=0
TEST_ARGS=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while [ "$#" -gt 0 ]; do
    case "$1" in
        --scratch-path) SCRATCH=${2:?--scratch-path needs a folder}; shift 2 ;;
        --scratch-path=*) SCRATCH=${1#*=}; shift ;;
        --min) MINIMUM=${2:?--min needs a percentage}; shift 2 ;;
        --min=*) MINIMUM=${1#*=}; shift ;;
        --no-test) RUN_TESTS=0; shift ;;
        --files) FILES=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) TEST_ARGS+=("$1"); shift ;;
    esac
done
if ! [[ $MINIMUM =~ ^[0-9]+([.][0-9]+)?$ ]]; then
    echo "coverage: --min must be a percentage, like 85 or 82.5" >&2
    exit 2
fi

# llvm-cov: next to `swift` in the toolchain on Linux, through xcrun on macOS, else on PATH.
find_llvm_cov() {
    local swift_path dir
    if swift_path=$(command -v swift 2>/dev/null); then
        dir=$(dirname "$(readlink -f "$swift_path" 2>/dev/null || printf '%s' "$swift_path")")
        if [ -x "$dir/llvm-cov" ]; then printf '%s\n' "$dir/llvm-cov"; return 0; fi
    fi
    if command -v xcrun >/dev/null 2>&1 && xcrun --find llvm-cov >/dev/null 2>&1; then
        xcrun --find llvm-cov
        return 0
    fi
    command -v llvm-cov
}
LLVM_COV=$(find_llvm_cov) || {
    echo "coverage: llvm-cov not found (looked next to swift, with xcrun, and on PATH)" >&2
    exit 1
}

TEMP_FILES=()
trap 'rm -f -- "${TEMP_FILES[@]}"' EXIT
STARTED_MARK=$(mktemp "${TMPDIR:-/tmp}/skyhigh-coverage-start.XXXXXX")
TEMP_FILES+=("$STARTED_MARK")

test_status=0
if [ "$RUN_TESTS" -eq 1 ]; then
    echo "==> scripts/test.sh --enable-code-coverage --scratch-path $SCRATCH${TEST_ARGS[*]:+ ${TEST_ARGS[*]}}"
    "$SCRIPT_DIR/test.sh" --enable-code-coverage --scratch-path "$SCRATCH" "${TEST_ARGS[@]}" || test_status=$?
    if [ "$test_status" -ne 0 ]; then
        echo "coverage: the tests failed (exit $test_status); the figures below are from that run" >&2
    fi
fi

BIN_PATH=$(swift build --scratch-path "$SCRATCH" --show-bin-path)
PROFDATA="$BIN_PATH/codecov/default.profdata"
TEST_BINARY="$BIN_PATH/skyhigh-corePackageTests.xctest"
if [ -d "$TEST_BINARY" ]; then
    # macOS: a bundle.
    TEST_BINARY="$TEST_BINARY/Contents/MacOS/skyhigh-corePackageTests"
fi
# `swift test` merges the raw profiles into default.profdata only when every test passes: after
# a failure, merge the raw profiles of the run here (with --no-test: of the last run, if it
# left no default.profdata), so the figures are still shown.
CODECOV_DIR="$BIN_PATH/codecov"
if [ -d "$CODECOV_DIR" ]; then
    RAW=()
    NEWER=()
    if [ "$RUN_TESTS" -eq 1 ]; then NEWER=(-newer "$STARTED_MARK"); fi
    while IFS= read -r -d '' raw; do RAW+=("$raw"); done \
        < <(find "$CODECOV_DIR" -maxdepth 1 -name '*.profraw' "${NEWER[@]}" -print0)
    if [ "${#RAW[@]}" -gt 0 ] && { [ ! -f "$PROFDATA" ] || { [ "$RUN_TESTS" -eq 1 ] && [ ! "$PROFDATA" -nt "$STARTED_MARK" ]; }; }; then
        LLVM_PROFDATA="$(dirname "$LLVM_COV")/llvm-profdata"
        if [ ! -x "$LLVM_PROFDATA" ]; then LLVM_PROFDATA=$(command -v llvm-profdata || true); fi
        if [ -z "$LLVM_PROFDATA" ]; then
            echo "coverage: llvm-profdata not found to merge ${#RAW[@]} raw profiles" >&2
            exit 1
        fi
        echo "coverage: merging ${#RAW[@]} raw profiles into $PROFDATA"
        "$LLVM_PROFDATA" merge -sparse "${RAW[@]}" -o "$PROFDATA"
    fi
fi
for needed in "$PROFDATA" "$TEST_BINARY"; do
    if [ ! -f "$needed" ]; then
        echo "coverage: $needed is missing; run without --no-test first" >&2
        exit 1
    fi
done

# Everything that is not our own source: dependencies' checkouts, tests, generated files.
IGNORE='(/\.build[^/]*/|/Tests/|/checkouts/)'

if [ "$FILES" -eq 1 ]; then
    "$LLVM_COV" report "$TEST_BINARY" -instr-profile "$PROFDATA" -ignore-filename-regex "$IGNORE"
    echo
fi

EXPORT=$(mktemp "${TMPDIR:-/tmp}/skyhigh-coverage.XXXXXX")
TEMP_FILES+=("$EXPORT")
"$LLVM_COV" export "$TEST_BINARY" -instr-profile "$PROFDATA" -summary-only -ignore-filename-regex "$IGNORE" >"$EXPORT"

python3 - "$EXPORT" "$REPO_ROOT" "$MINIMUM" <<'PY' || exit $?
import json, sys

export_path, root, minimum = sys.argv[1], sys.argv[2], float(sys.argv[3])
sources = root.rstrip("/") + "/Sources/"
targets = ["SkyHighCore", "SkyHighStore", "SkyHighSQLite", "SkyHighPostgres", "SkyHighAPI", "SkyHighApp"]
combined = targets[:4]
totals = {}
with open(export_path) as f:
    exports = json.load(f)["data"]
for export in exports:
    for entry in export["files"]:
        name = entry["filename"]
        if not name.startswith(sources):
            continue
        target = name[len(sources):].split("/", 1)[0]
        lines = entry["summary"]["lines"]
        count, covered = totals.get(target, (0, 0))
        totals[target] = (count + lines["count"], covered + lines["covered"])

def percent(covered, count):
    return 100.0 * covered / count if count else 0.0

def row(label, count, covered, note=""):
    print(f"{label:<20} {count:>7} {covered:>8} {percent(covered, count):>8.2f}%{note}")

print(f"{'target':<20} {'lines':>7} {'covered':>8} {'coverage':>9}")
for target in targets + sorted(set(totals) - set(targets)):
    row(target, *totals.get(target, (0, 0)))
count = sum(totals.get(t, (0, 0))[0] for t in combined)
covered = sum(totals.get(t, (0, 0))[1] for t in combined)
figure = percent(covered, count)
row("domain + stores", count, covered, f"   ({' + '.join(combined)}; minimum {minimum:g}%)")
if figure + 1e-9 < minimum:
    print(f"coverage: FAIL: the domain and stores are at {figure:.2f}%, below the minimum of {minimum:g}%")
    sys.exit(1)
print(f"coverage: PASS: the domain and stores are at {figure:.2f}% (minimum {minimum:g}%)")
PY

exit "$test_status"
