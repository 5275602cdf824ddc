#!/usr/bin/env bash
#===- family-quant-table.sh - quantc vs the GPTQ/AWQ authors on the family -===#
#
# usage: bench/family-quant-table.sh BUILD_DIR OUT_DIR [MODEL...]
#
# For each model of examples/llama-family (default: llama qwen2) compiles
# model-opset17.onnx under RTN, GPTQ (sequential by decoder block), GPTQ
# act-order with static groups, GPTQ act-order with a group index and AWQ at
# 4 and 3 bits g64, GPTQ 2 bits g64 and mixed precision (GPTQ, 3.5 average
# code bits, g64, from the default widths 2,3,4,8 and from 3,4,8), all with the LM head in FP32 as in the reference; then
# evaluates each binary with quantc-eval on eval.npy and writes
# OUT_DIR/table.md next to the reference numbers of the authors' algorithms
# (bench/reference-quant/results/MODEL.json, family_reference_quant.py).
#
#===-----------------------------------------------------------------------===#
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR [MODEL...]" >&2
  exit 2
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "$1" && pwd)
mkdir -p "$2"
OUT=$(cd "$2" && pwd)
shift 2
MODELS=("$@")
[ ${#MODELS[@]} -gt 0 ] || MODELS=(llama qwen2)
PY=/usr/bin/python3

# name | reference (weights|method) | quantc flags
ROWS=(
  "rtn-w4|W4 g64|RTN|--quant=rtn --bits=4 --group-size=64"
  "gptq-w4|W4 g64|GPTQ|--quant=gptq --bits=4 --group-size=64"
  "gptq-static-w4|W4 g64|GPTQ act-order, static groups|--quant=gptq --bits=4 --group-size=64 --act-order --static-groups"
  "gptq-gidx-w4|W4 g64|GPTQ act-order, permuted groups (g_idx)|--quant=gptq --bits=4 --group-size=64 --act-order"
  "awq-w4|W4 g64|AWQ (scale+clip)|--quant=awq --bits=4 --group-size=64"
  "rtn-w3|W3 g64|RTN|--quant=rtn --bits=3 --group-size=64"
  "gptq-w3|W3 g64|GPTQ|--quant=gptq --bits=3 --group-size=64"
  "gptq-static-w3|W3 g64|GPTQ act-order, static groups|--quant=gptq --bits=3 --group-size=64 --act-order --static-groups"
  "gptq-gidx-w3|W3 g64|GPTQ act-order, permuted groups (g_idx)|--quant=gptq --bits=3 --group-size=64 --act-order"
  "awq-w3|W3 g64|AWQ (scale+clip)|--quant=awq --bits=3 --group-size=64"
  "gptq-w2|W2 g64|GPTQ|--quant=gptq --bits=2 --group-size=64"
  "mixed-3.5|-|-|--quant=gptq --group-size=64 --avg-bits=3.5"
  "mixed-3.5-348|-|-|--quant=gptq --group-size=64 --avg-bits=3.5 --candidate-bits=3,4,8"
)

for m in "${MODELS[@]}"; do
  DIR=$ROOT/examples/llama-family/$m
  mkdir -p "$OUT/$m"
  "$BUILD/bin/quantc" "$DIR/model-opset17.onnx" -o "$OUT/$m/fp32" --quiet
  "$BUILD/bin/quantc-eval" perplexity --model "$OUT/$m/fp32" --tokens "$DIR/eval.npy" --jobs 2 --quiet > "$OUT/$m/fp32.json"
  for row in "${ROWS[@]}"; do
    IFS='|' read -r name weights method flags <<< "$row"
    echo "== $m $name" >&2
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$BUILD/bin/quantc" "$DIR/model-opset17.onnx" -o "$OUT/$m/$name" --quiet \
      --exclude=lm_head --calib input_ids="$DIR/calib.npy" $flags \
      --report "$OUT/$m/$name.report.json"
    end=$(date +%s.%N)
    "$BUILD/bin/quantc-eval" perplexity --model "$OUT/$m/$name" --tokens "$DIR/eval.npy" --jobs 2 --quiet > "$OUT/$m/$name.json"
    $PY -c "import json,sys; r=json.load(open(sys.argv[1])); r['wall_s']=float(sys.argv[2])-float(sys.argv[3]); r['weights']=sys.argv[4]; r['method']=sys.argv[5]; json.dump(r, open(sys.argv[1],'w'))" \
      "$OUT/$m/$name.json" "$end" "$start" "$weights" "$method"
  done
done

$PY - "$ROOT" "$OUT" "${MODELS[@]}" <<'PYEOF' > "$OUT/table.md"
import json, math, os, sys
root, out, models = sys.argv[1], sys.argv[2], sys.argv[3:]
order = ["rtn-w4", "gptq-w4", "gptq-static-w4", "gptq-gidx-w4", "awq-w4", "rtn-w3",
         "gptq-w3", "gptq-static-w3", "gptq-gidx-w3", "awq-w3", "gptq-w2", "mixed-3.5",
         "mixed-3.5-348"]
for m in models:
    ref = json.load(open(os.path.join(root, "bench/reference-quant/results", m + ".json")))
    refs = {(r["weights"], r["method"]): r["nll"] for r in ref["rows"]}
    fp = json.load(open(os.path.join(out, m, "fp32.json")))["nll_nats"]
    print(f"## {m}\n\nFP32 {fp:.4f} nats/char (ppl {math.exp(fp):.3f}); reference FP32 {ref['fp32_nll']:.4f}.\n")
    print("| variant | nats/char | ppl | ref nats/char | ref ppl | ours vs ref ppl | weight bytes | bits/w | quantc wall s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in order:
        path = os.path.join(out, m, name + ".json")
        if not os.path.exists(path):
            continue
        r = json.load(open(path))
        rep = json.load(open(os.path.join(out, m, name + ".report.json")))
        q = [l for l in rep["layers"] if "lm_head" not in l["name"]]
        nbytes = sum(l["bytes"] for l in q)
        bpw = 8.0 * nbytes / sum(math.prod(l["shape"]) for l in q)
        nll = r["nll_nats"]
        rn = refs.get((r["weights"], r["method"]))
        vs = f"{(math.exp(nll) / math.exp(rn) - 1) * 100:+.2f}%" if rn else "-"
        rs = f"{rn:.4f} | {math.exp(rn):.3f}" if rn else "- | -"
        print(f"| {r['weights']} {r['method'] if r['method'] != '-' else 'mixed GPTQ 3.5 bits' + (' (widths 3,4,8)' if name.endswith('348') else ' (widths 2,3,4,8)')} | {nll:.4f} | {math.exp(nll):.3f} | {rs} | {vs} | {nbytes} | {bpw:.2f} | {r['wall_s']:.1f} |")
    print()
PYEOF
cat "$OUT/table.md"
