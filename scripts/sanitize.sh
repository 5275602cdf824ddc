#!/usr/bin/env bash
#===- sanitize.sh - quantc and its runtime under ASan and UBSan ----------===#
#
# usage: scripts/sanitize.sh [LIT_FILTER]   (default: the whole lit suite)
#
# Builds quantc, quantc-opt and the runtime in build-asan/ with
# -fsanitize=address,undefined (LLVM/MLIR's dylibs stay uninstrumented) and
# runs lit there: every compiled test binary links the instrumented runtime
# too (CC=clang-22 links the sanitizer runtimes). Any sanitizer report fails
# its test. The full suite takes about 3x the normal one; a filter such as
# 'hostile|malformed|import|errors' runs the hostile-input tests only.
#
#===-----------------------------------------------------------------------===#
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-asan
ASAN_BASE=$("$ROOT/scripts/asan-build.sh")
export CC=clang-22
export ASAN_OPTIONS=$ASAN_BASE:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
FILTER=${1:-}
/usr/lib/llvm-22/bin/lit "$BUILD/test" -sv ${FILTER:+--filter "$FILTER"}
