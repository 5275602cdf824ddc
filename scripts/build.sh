#!/usr/bin/env bash
#===- build.sh - Configure and build quantc into ./build ------------------===#
#
# usage: scripts/build.sh [extra cmake -D options...]
#
# Configures once (Ninja, clang-22, MLIR/LLVM 22 from Debian, Release) and
# builds every target. Uses ccache when present, with CCACHE_BASEDIR set to
# the repository root so clones in other folders share cache hits.
#
#===-----------------------------------------------------------------------===#
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build

if command -v ccache >/dev/null 2>&1; then
  # Paths under the repository are hashed relative to it, and the current
  # directory is left out of the hash: a CI clone elsewhere hits the cache.
  export CCACHE_BASEDIR=$ROOT
  export CCACHE_NOHASHDIR=1
  # (CMakeLists.txt sets ccache as the compiler launcher when it finds it.)
fi

if [ ! -f "$BUILD/build.ninja" ]; then
  mkdir -p "$BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 \
    -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    "$@"
elif [ $# -gt 0 ]; then
  cmake "$BUILD" "$@"
fi

# Other builds on this machine (see the docs) take the same lock; ninja
# itself picks the job count from the number of cores.
if command -v flock >/dev/null 2>&1; then
  flock /tmp/quantc-build.lock ninja -C "$BUILD"
else
  ninja -C "$BUILD"
fi
if command -v ccache >/dev/null 2>&1; then
  ccache --show-stats 2>/dev/null | grep -iE "hits|misses" | head -4 | sed "s/^/ccache: /" || true
fi
