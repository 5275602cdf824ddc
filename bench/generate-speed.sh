#!/usr/bin/env bash
#===- generate-speed.sh - Generation speed of a 1.1B decoder vs ORT, limit -===#
#
# usage: bench/generate-speed.sh [OUT.json] [--small] [generate_speed.py options]
#
# Measures, in one run on this machine: its DRAM read bandwidth
# (bench/src/bandwidth.c, 1 and 2 threads); a LLaMA-shaped decoder with
# random seeded weights built with torch and exported with its KV cache
# (bench/src/make_generate_models.py: TinyLlama 1.1B's shapes by default,
# --small for d 512 / 4 layers / vocab 4096, or --d-model --n-layer --n-head
# --n-kv-head --ffn --vocab) plus its MatMulNBits int4 copy; quantc
# generators (--max-context, default 128) of it as FP32, f16 weights, RTN
# int8 per channel W8A8, RTN int4 g128 W4A16 and W4A8 (--gptq adds GPTQ int4
# g128), each compiled under /usr/bin/time (seconds, peak RSS) and run with a
# 32-token random prompt, batch 1, 64 new tokens (--prompt-tokens,
# --new-tokens) on 1 and 2 threads (--threads 1,2); ONNX Runtime stepping
# the FP32 and int4 ONNX files with its own cache (bench/src/
# ort_generate_time.js); and each format's limit, DRAM bandwidth over the
# weight bytes a decoded token reads. Writes the JSON (bench/generate_speed.py
# describes the fields; default bench/results/generate-speed-DATE.json) and,
# with python3-matplotlib, OUT.png (bench/plot_generate_speed.py).
#
# Cost (2-core Xeon, 23.5 GB): --small about 2.5 minutes. The full size, from
# runs up to 31M parameters extrapolated: export about 4 minutes at about 9
# GB; each quantc compile 12-20 minutes, peak about 19 GB (w4), 21 GB (w4a8)
# and 25-27 GB (fp32, f16, w8a8), so a compile whose estimate exceeds
# MemAvailable is skipped and recorded (--no-mem-guard compiles anyway);
# ONNX Runtime about 5 minutes at up to about 6 GB; up to 10 GB of disk in
# WORK. About 45 minutes with the skips, 100 without.
#
# Environment: BUILD (default build/), WORK (default /tmp/generate-speed:
# the run's files go to a fresh WORK/run.* removed at the end unless KEEP=1),
# QUIET=1 (no progress lines on stderr), ORT_DIR (default /tmp/ort; ONNX
# Runtime 1.30 comes from npm there if missing: npm install --ignore-scripts
# onnxruntime-node@1.30.0), CC (default clang-22, for bandwidth.c).
#
#===-----------------------------------------------------------------------===#
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
  OUT=$1
  shift
else
  OUT=$ROOT/bench/results/generate-speed-$(date +%F).json
fi
mkdir -p "$(dirname "$OUT")"
OUT=$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")
BUILD=$(cd "${BUILD:-$ROOT/build}" && pwd)
ORT_DIR=${ORT_DIR:-/tmp/ort}
WORK_ROOT=${WORK:-/tmp/generate-speed}
mkdir -p "$WORK_ROOT"
RUN=$(mktemp -d "$WORK_ROOT/run.XXXXXX")
say() { [ "${QUIET:-0}" != 0 ] || echo "generate-speed: $*" >&2; }
cleanup() {
  if [ "${KEEP:-0}" != 0 ]; then
    say "kept $RUN"
  else
    rm -rf "$RUN"
    rmdir "$WORK_ROOT" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
  say "installing onnxruntime-node@1.30.0 into $ORT_DIR"
  mkdir -p "$ORT_DIR"
  (cd "$ORT_DIR" && npm install --ignore-scripts --no-audit --no-fund \
    onnxruntime-node@1.30.0 >/dev/null)
fi

CC=${CC:-clang-22}
"$CC" -O3 -march=native -mprefer-vector-width=512 -ffp-contract=fast -fopenmp=libomp \
  -c "$ROOT/bench/src/bandwidth.c" -o "$RUN/bandwidth.o"
"$CC" "$RUN/bandwidth.o" -o "$RUN/bandwidth" -l:libomp.so.5

RUNTIME=()
[ -f "$BUILD/lib/libqc_runtime.a" ] && RUNTIME=(--runtime-lib "$BUILD/lib/libqc_runtime.a")
/usr/bin/python3 "$ROOT/bench/generate_speed.py" --quantc "$BUILD/bin/quantc" \
  "${RUNTIME[@]}" --work "$RUN" --tools "$RUN" --ort "$ORT_DIR/node_modules" \
  --out "$OUT" "$@"

if /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
  /usr/bin/python3 "$ROOT/bench/plot_generate_speed.py" "$OUT" "${OUT%.json}.png"
  say "wrote ${OUT%.json}.png"
else
  say "no python3-matplotlib: no plot (apt-get install python3-matplotlib)"
fi
