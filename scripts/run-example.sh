#!/usr/bin/env bash
#===- run-example.sh - Compile and evaluate the digits-cnn example --------===#
#
# usage: scripts/run-example.sh [BUILD_DIR]     (default: ./build)
#
# Compiles examples/digits-cnn/model.onnx three ways with the quantc driver
# (FP32, int8 per-channel, int4 group 32), runs each executable on the 360
# test images, and prints accuracy, weight bytes and binary size. Exits
# non-zero when FP32 is not within 0.1 point of the README's 0.9944, int8 not
# within 0.5 points of FP32, or int4 not within 3 points of FP32.
#
#===-----------------------------------------------------------------------===#
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build}
BUILD=$(cd "$BUILD" && pwd)
QUANTC=$BUILD/bin/quantc
RUNTIME_LIB=$BUILD/lib/libqc_runtime.a
EXAMPLE=$ROOT/examples/digits-cnn
# Debian's interpreter has numpy; a pyenv/venv python3 on PATH may not.
PY=/usr/bin/python3
# FP32 test accuracy of model.onnx from examples/digits-cnn/README.md.
README_FP32=0.9944

for f in "$QUANTC" "$RUNTIME_LIB"; do
  if [ ! -e "$f" ]; then
    echo "error: $f not found; build first (scripts/build.sh)" >&2
    exit 1
  fi
done
if ! "$PY" -c 'import numpy' 2>/dev/null; then
  echo "error: $PY cannot import numpy (apt-get install python3-numpy)" >&2
  exit 1
fi

WORK=$BUILD/examples/digits-cnn
rm -rf "$WORK"
mkdir -p "$WORK"

# name | quantc options
VARIANTS=(
  "fp32|--quant=none"
  "int8|--quant=rtn --bits=8 --group-size=0"
  "int4-g32|--quant=rtn --bits=4 --group-size=32"
)

for v in "${VARIANTS[@]}"; do
  name=${v%%|*}
  opts=${v#*|}
  echo "== $name: quantc $opts"
  # shellcheck disable=SC2086  # $opts is a list of options
  "$QUANTC" "$EXAMPLE/model.onnx" -o "$WORK/$name" $opts \
    --input-shape input=360x1x8x8 --report="$WORK/$name.json" \
    --runtime-lib="$RUNTIME_LIB"
  "$WORK/$name" --input input="$EXAMPLE/x_test.npy" --output-dir "$WORK/$name.out"
done

"$PY" - "$EXAMPLE" "$WORK" "$README_FP32" <<'EOF'
import json, os, sys
import numpy as np

example, work, readme_fp32 = sys.argv[1], sys.argv[2], float(sys.argv[3])
y = np.load(os.path.join(example, "y_test.npy"))
onnx_bytes = os.path.getsize(os.path.join(example, "model.onnx"))

rows = []
for name in ["fp32", "int8", "int4-g32"]:
    logits = np.load(os.path.join(work, name + ".out", "logits.npy"))
    if logits.shape != (len(y), 10):
        sys.exit(f"error: {name}: logits shape {logits.shape}, expected {(len(y), 10)}")
    if not np.all(np.isfinite(logits)):
        sys.exit(f"error: {name}: non-finite logits")
    acc = float(np.mean(np.argmax(logits, axis=1) == y))
    with open(os.path.join(work, name + ".json")) as f:
        report = json.load(f)
    rows.append((name, acc, int(report["total_bytes"]),
                 report.get("bits_per_weight"),
                 os.path.getsize(os.path.join(work, name))))

fp32_acc = rows[0][1]
print()
print(f"digits-cnn: {len(y)} test images; model.onnx {onnx_bytes} bytes; "
      f"README FP32 accuracy {readme_fp32:.4f}")
print()
hdr = ("variant", "accuracy", "Δ vs FP32", "weight bytes", "bits/w",
       "× vs .onnx", "binary bytes")
fmt = "{:<9} {:>9} {:>10} {:>13} {:>7} {:>11} {:>13}"
print(fmt.format(*hdr))
for name, acc, wbytes, bpw, binsize in rows:
    delta = 100.0 * (acc - fp32_acc)
    bpw_s = f"{bpw:.2f}" if isinstance(bpw, (int, float)) else "?"
    print(fmt.format(name, f"{acc:.4f}", f"{delta:+.2f} pt", wbytes, bpw_s,
                     f"{wbytes / onnx_bytes:.3f}", binsize))
print()

failures = []
if abs(fp32_acc - readme_fp32) > 0.001 + 1e-9:
    failures.append(f"FP32 accuracy {fp32_acc:.4f} is not within 0.1 point of "
                    f"the README's {readme_fp32:.4f}")
limits = {"int8": 0.5, "int4-g32": 3.0}
for name, acc, *_ in rows[1:]:
    if 100.0 * abs(acc - fp32_acc) > limits[name] + 1e-9:
        failures.append(f"{name} accuracy {acc:.4f} is not within "
                        f"{limits[name]} points of FP32 {fp32_acc:.4f}")
for f in failures:
    print("FAIL:", f)
if failures:
    sys.exit(1)
print("OK: FP32 within 0.1 pt of the README, int8 within 0.5 pt, "
      "int4-g32 within 3 pt of FP32")
EOF
