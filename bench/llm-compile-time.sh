#!/usr/bin/env bash
#===- llm-compile-time.sh - Compile time of real-size decoder exports ----===#
#
# usage: bench/llm-compile-time.sh [BUILD] [OUT.json]
#
# Exports LLaMA-style decoders (scripts/family's model, d_model 512, random
# weights) of 8/16/32 layers with torch.onnx.export (930/1850/3690 nodes)
# and times an RTN int4 g64 build of each to an executable: seconds, peak
# RSS and seconds per 1,000 nodes (should stay flat). Needs python3-torch.
# Not a test: no timing assertion.
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
for layers in 8 16 32; do
  nodes=$($PY "$ROOT/bench/src/make_deep_decoder.py" $layers 512 \
          "$WORK/m.onnx" 2>/dev/null | sed -n 's/.*: \([0-9]*\) nodes.*/\1/p')
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$BUILD/bin/quantc" "$WORK/m.onnx" \
    -o "$WORK/m.exe" --quant=rtn --bits=4 --group-size=64 --quiet
  read -r secs kb < "$WORK/time"
  per=$($PY -c "print(round($secs / $nodes * 1000, 2))")
  printf '%2d layers %5d nodes: %7.2f s  %6d MB  (%s s per 1k nodes)\n' \
    $layers $nodes "$secs" $((kb / 1024)) "$per"
  [ $first = 1 ] || echo "," >> "$WORK/results.json"
  first=0
  printf '{"layers": %d, "nodes": %d, "seconds": %s, "peak_rss_mb": %d}' \
    $layers $nodes "$secs" $((kb / 1024)) >> "$WORK/results.json"
done
echo "]" >> "$WORK/results.json"
if [ -n "$OUT" ]; then cp "$WORK/results.json" "$OUT"; fi
