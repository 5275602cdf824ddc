#!/usr/bin/env bash
#===- compile-scaling.sh - Compile time against node count ---------------===#
#
# usage: bench/compile-scaling.sh [BUILD] [OUT.json]
#
# Compiles chains of 1k/4k/16k/50k element-wise nodes (Add and Relu) to an
# executable and prints the seconds and peak RSS of each, plus the seconds
# per 1,000 nodes: compile time must grow linearly with the node count (it
# was quadratic in element-wise fusion). Not a test: no timing assertion.
#
#===-----------------------------------------------------------------------===#
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build}
OUT=${2:-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PY=/usr/bin/python3
echo "[" > "$WORK/results.json"
first=1
for op in Add Relu; do
  for n in 1000 4000 16000 50000; do
    $PY "$ROOT/bench/src/make_chain_model.py" $n $op "$WORK/m.onnx"
    /usr/bin/time -f "%e %M" -o "$WORK/time" \
      "$BUILD/bin/quantc" "$WORK/m.onnx" -o "$WORK/m.exe" --quiet
    read -r secs kb < "$WORK/time"
    per=$($PY -c "print(round($secs / $n * 1000, 3))")
    printf '%-5s %6d nodes: %7.2f s  %6d MB  (%s s per 1k nodes)\n' \
      $op $n "$secs" $((kb / 1024)) "$per"
    [ $first = 1 ] || echo "," >> "$WORK/results.json"
    first=0
    printf '{"op": "%s", "nodes": %d, "seconds": %s, "peak_rss_mb": %d}' \
      $op $n "$secs" $((kb / 1024)) >> "$WORK/results.json"
  done
done
echo "]" >> "$WORK/results.json"
if [ -n "$OUT" ]; then cp "$WORK/results.json" "$OUT"; fi
