#!/usr/bin/env bash
#===- gemv-speed.sh - Quantized GEMV/GEMM speed against the limits and ORT -===#
#
# usage: bench/gemv-speed.sh [BUILD_DIR] [OUT.json] [--smoke]
#
# Measures, in one run on this machine: its read bandwidth (cache-resident
# and DRAM, bench/src/bandwidth.c), FP32 FMA peak (bench/src/fma_peak.c)
# and int8 dot-product peak (bench/src/int8_dot_peak.c), the last two built
# for 512-bit vectors where the CPU has them;
# quantc executables of random MatMul models (FP32, RTN int8/int4/int3 with
# groups of 128, and int4/int8 with --act-bits=8) for 4096x4096 and
# 4096x11008 weights at batch 1, 4, 16 and 128 on 1 and 2 threads, with the
# weight hot (one matrix reused) and, at batch 1, streaming (a chain of
# matrices > 256 MB); and ONNX Runtime 1.30 on the same shapes (FP32
# MatMul; com.microsoft::MatMulNBits int4 block 128, accuracy_level 0 and
# 4). Writes JSON (bench/gemv_speed.py describes the fields): every figure
# as time, GFLOP/s, effective weight GB/s, ratio to the limit and to ONNX
# Runtime. --smoke: one small shape, for CI. bench/plot_gemv_speed.py turns
# the JSON into a PNG.
#
# ONNX Runtime comes from npm into $ORT_DIR (default /tmp/ort), installed
# here, never by the build: npm install --ignore-scripts onnxruntime-node@1.30.0
#
#===-----------------------------------------------------------------------===#
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
OUT=${2:-$ROOT/bench/results/gemv-speed-$(date +%F).json}
SMOKE=${3:-}
ORT_DIR=${ORT_DIR:-/tmp/ort}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"

if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
  mkdir -p "$ORT_DIR"
  (cd "$ORT_DIR" && npm install --ignore-scripts --no-audit --no-fund \
    onnxruntime-node@1.30.0 >/dev/null)
fi

CC=${CC:-clang-22}
for tool in bandwidth fma_peak int8_dot_peak; do
  "$CC" -O3 -march=native -mprefer-vector-width=512 -ffp-contract=fast -fopenmp=libomp \
    -c "$ROOT/bench/src/$tool.c" -o "$WORK/$tool.o"
  "$CC" "$WORK/$tool.o" -o "$WORK/$tool" -l:libomp.so.5
done

/usr/bin/python3 "$ROOT/bench/gemv_speed.py" --quantc "$BUILD/bin/quantc" \
  --runtime-lib "$BUILD/lib/libqc_runtime.a" --work "$WORK" \
  --tools "$WORK" --ort "$ORT_DIR/node_modules" --out "$OUT" $SMOKE
