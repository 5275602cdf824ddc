#!/usr/bin/env bash
#===- fuzz.sh - Fuzz the ONNX importer with libFuzzer --------------------===#
#
# usage: scripts/fuzz.sh [SECONDS] [JOBS]     (default 600 s, 1 job)
#
# Builds quantc-fuzz-import in build-asan/ (clang-22, -fsanitize=fuzzer,
# address,undefined on quantc's own code; needs libclang-rt-22-dev) and runs
# it for SECONDS on a corpus in build-asan/corpus seeded with the vendored
# ONNX backend cases and the example models. The corpus grows across runs.
# Findings (crash-*, timeout-*, oom-*, leak-*) land in build-asan/findings/:
# reproduce one with `build-asan/bin/quantc-fuzz-import FILE`, then add it
# to test/import/fuzz-regressions/ (run by lit).
#
#===-----------------------------------------------------------------------===#
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_TO_RUN=${1:-600}
JOBS=${2:-1}
BUILD=$ROOT/build-asan
ASAN_BASE=$("$ROOT/scripts/asan-build.sh" quantc-fuzz-import)
mkdir -p "$BUILD/corpus" "$BUILD/findings"
if [ -z "$(ls -A "$BUILD/corpus")" ]; then
  i=0
  for f in "$ROOT"/test/onnx-backend/cases/*/*/model.onnx \
           "$ROOT"/examples/digits-cnn/model.onnx \
           "$ROOT"/test/torch-models/*/model.onnx; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -lt 1000000 ] || continue
    cp "$f" "$BUILD/corpus/seed-$i.onnx"; i=$((i + 1))
  done
  echo "fuzz: seeded the corpus with $i models"
fi
# -fork keeps going after a finding (each is saved to findings/); its
# workers write logs to the current directory.
cd "$BUILD"
ASAN_OPTIONS=$ASAN_BASE:allocator_may_return_null=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$BUILD/bin/quantc-fuzz-import" "$BUILD/corpus" \
    -max_total_time="$SECONDS_TO_RUN" -fork="$JOBS" \
    -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -timeout=20 -rss_limit_mb=3072 -max_len=262144 \
    -artifact_prefix="$BUILD/findings/" -print_final_stats=1
