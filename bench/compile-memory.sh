#!/usr/bin/env bash
#===- compile-memory.sh - Peak memory of a compile against the weights ---===#
#
# usage: bench/compile-memory.sh [BUILD] [OUT.json] [LAYERS] [DIM]
#
# A chain of LAYERS DIMxDIM FP32 MatMuls (default 8 x 4096: 512 MiB of
# external data, test/lit-helpers/make_linear_chain.py) compiled to an executable
# as FP32, RTN int4 g128 and RTN int8: seconds, peak RSS (/usr/bin/time) and
# peak RSS over the FP32 weight bytes. Not a test: no assertion.
#
#===-----------------------------------------------------------------------===#
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build}
OUT=${2:-}
LAYERS=${3:-8}
DIM=${4:-4096}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PY=/usr/bin/python3
$PY "$ROOT/test/lit-helpers/make_linear_chain.py" "$LAYERS" "$DIM" "$WORK/chain.onnx"
weights=$((LAYERS * DIM * DIM * 4))
echo "[" > "$WORK/results.json"
first=1
for spec in "fp32:" "rtn-int4-g128:--quant=rtn --bits=4 --group-size=128" \
            "rtn-int8:--quant=rtn --bits=8"; do
  name=${spec%%:*}
  flags=${spec#*:}
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$BUILD/bin/quantc" \
    "$WORK/chain.onnx" -o "$WORK/chain.exe" --quiet $flags
  read -r secs kb < "$WORK/time"
  ratio=$($PY -c "print(round($kb * 1024 / $weights, 2))")
  printf '%-14s %7.2f s  peak %6d MB  = %s x the FP32 weights (%d MB)\n' \
    "$name" "$secs" $((kb / 1024)) "$ratio" $((weights >> 20))
  [ $first = 1 ] || echo "," >> "$WORK/results.json"
  first=0
  printf '{"variant": "%s", "weight_bytes": %d, "seconds": %s, "peak_rss_mb": %d, "peak_over_weights": %s}' \
    "$name" $weights "$secs" $((kb / 1024)) "$ratio" >> "$WORK/results.json"
done
echo "]" >> "$WORK/results.json"
if [ -n "$OUT" ]; then cp "$WORK/results.json" "$OUT"; fi
