#!/usr/bin/env bash
#===- asan-build.sh - The ASan/UBSan build shared by sanitize and fuzz ---===#
#
# usage: scripts/asan-build.sh [NINJA TARGETS...]
#
# Configures (once) and builds build-asan/: quantc's code and runtime with
# -fsanitize=address,undefined, plus the libFuzzer importer target; LLVM and
# MLIR's dylibs stay uninstrumented. Also prints the ASAN_OPTIONS every run
# of these binaries needs (scripts/sanitize.sh and scripts/fuzz.sh use it):
#   allow_user_poisoning=0  LLVM's BumpPtrAllocator poisons its slabs in our
#                           instrumented copies of its inline code, which the
#                           uninstrumented libMLIR then hands out without
#                           unpoisoning: false use-after-poison reports in
#                           the StorageUniquer (seen in --qc-awq).
#   detect_leaks=0          MLIR keeps uniqued types and attributes for the
#                           life of a context.
#
#===-----------------------------------------------------------------------===#
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-asan
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DQC_SANITIZE=address,undefined -DQC_BUILD_FUZZER=ON >/dev/null
fi
ninja -C "$BUILD" "$@" >&2
echo "detect_leaks=0:allow_user_poisoning=0"
