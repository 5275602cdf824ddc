#!/usr/bin/env bash
#===- kernel-speed.sh - Quantized vs FP32 inference speed, as ratios -----===#
#
# usage: bench/kernel-speed.sh [BUILD_DIR] [MODEL_DIR]
#
# Compiles the tinygpt-shakespeare transformer (MODEL_DIR, default
# ../shared/models/tinygpt-shakespeare) in FP32 and RTN W8 / W4 / W3 (group
# 64, lm_head FP32), at two shapes of model-dynamic.onnx: a 128-token window
# (prefill: every linear layer sees 128 input rows) and a single token
# (decode: one input row, the memory-bound case). Runs each binary with
# --repeat and --time in this script, one after the other, and prints JSON:
# per variant and shape the mean/min milliseconds, and the ratio of the
# variant's min time to FP32's min time at the same shape (< 1: faster).
# Absolute times depend on the machine; compare ratios.
#
#===-----------------------------------------------------------------------===#
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
MODEL=${2:-$ROOT/../shared/models/tinygpt-shakespeare}
QUANTC=$BUILD/bin/quantc
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

/usr/bin/python3 - "$MODEL/eval.npy" "$WORK" <<'EOF'
import sys
import numpy as np
tokens = np.load(sys.argv[1])
np.save(sys.argv[2] + "/prefill.npy", tokens[:1, :128].astype(np.int64))
np.save(sys.argv[2] + "/decode.npy", tokens[:1, :1].astype(np.int64))
EOF

declare -A FLAGS=(
  [fp32]=""
  [rtn-w8-g64]="--quant=rtn --bits=8 --group-size=64 --exclude=lm_head"
  [rtn-w4-g64]="--quant=rtn --bits=4 --group-size=64 --exclude=lm_head"
  [rtn-w3-g64]="--quant=rtn --bits=3 --group-size=64 --exclude=lm_head"
)
VARIANTS=(fp32 rtn-w8-g64 rtn-w4-g64 rtn-w3-g64)
declare -A SEQ=([prefill]=128 [decode]=1)
declare -A REPEAT=([prefill]=20 [decode]=200)

results=()
for shape in prefill decode; do
  for v in "${VARIANTS[@]}"; do
    exe=$WORK/$v.$shape
    # shellcheck disable=SC2086
    "$QUANTC" "$MODEL/model-dynamic.onnx" -o "$exe" --quiet \
      --input-shape "input_ids=1x${SEQ[$shape]}" ${FLAGS[$v]}
    # One warm-up run, then the timed runs.
    "$exe" --input "input_ids=$WORK/$shape.npy" --repeat 2 --time 2>/dev/null
    timing=$("$exe" --input "input_ids=$WORK/$shape.npy" \
      --repeat "${REPEAT[$shape]}" --time 2>&1 >/dev/null | tail -1)
    results+=("$v $shape $timing")
  done
done

printf '%s\n' "${results[@]}" | /usr/bin/python3 -c '
import json, sys
rows = {}
for line in sys.stdin:
    variant, shape, timing = line.split(" ", 2)
    rows[(variant, shape)] = json.loads(timing)
out = {"model": "tinygpt-shakespeare", "baseline": "fp32", "results": []}
for (variant, shape), t in rows.items():
    base = rows[("fp32", shape)]
    out["results"].append({
        "variant": variant, "shape": shape, "runs": t["runs"],
        "mean_ms": round(t["mean_ms"], 3), "min_ms": round(t["min_ms"], 3),
        "min_ratio_vs_fp32": round(t["min_ms"] / base["min_ms"], 3)})
print(json.dumps(out, indent=2))
'
