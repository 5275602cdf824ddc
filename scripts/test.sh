#!/usr/bin/env bash
#===- test.sh - Install dependencies, build, and run every test -----------===#
#
# usage: scripts/test.sh
#
# 1. scripts/install-deps.sh (quick when everything is installed)
# 2. scripts/build.sh        (configure once, then build into ./build)
# 3. ctest                   (unit tests, runtime tests, and lit as one test)
# 4. with CI=true: a smoke run of bench/gemv-speed.sh (one small shape)
#
# Prints CTest's totals and lit's totals; exits non-zero if any test fails.
#
#===-----------------------------------------------------------------------===#
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

scripts/install-deps.sh
scripts/build.sh

LOG=$ROOT/build/Testing/ctest-output.log
mkdir -p "$(dirname "$LOG")"
set +e
ctest --test-dir build --output-on-failure 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e

# CI also smoke-runs the speed benchmark (one small shape, no timing
# checks): the bench scripts, their ONNX Runtime setup and --threads stay
# working. The numbers are in build/bench-smoke.json.
if [ "${CI:-}" = true ] && [ "$status" -eq 0 ]; then
  echo "==== bench smoke run"
  if ! bench/gemv-speed.sh build build/bench-smoke.json --smoke; then
    echo "bench/gemv-speed.sh --smoke failed"
    status=1
  fi
fi

echo
echo "==== CTest totals"
grep -E "tests passed|tests failed|Total Test time" "$LOG" || echo "(no CTest summary)"
echo "==== lit totals"
# CTest keeps every test's full output, lit's summary included, in LastTest.log.
LASTLOG=build/Testing/Temporary/LastTest.log
if [ -f "$LASTLOG" ] && grep -q "^Total Discovered Tests" "$LASTLOG"; then
  # The lists of failing tests, then the totals block.
  awk '/^(Failed|Unresolved|Timed Out|Unexpectedly Passed) Tests \(/ {p = 1; print; next}
       /^Total Discovered Tests/ {p = 1; print; next}
       p && /^  / {print; next}
       {p = 0}' "$LASTLOG"
else
  echo "(lit did not run or printed no summary)"
fi
exit "$status"
