#!/usr/bin/env python3
"""Validates a quantc --report JSON file and prints a normalized summary.

usage: check_report.py REPORT.json [--max-bits-per-weight B]

Checks the schema ({"layers": [{"name", "op", "shape", "bits", "bytes",
"float_bytes", "bits_per_weight", "rel_error", ...}], "total_bytes",
"total_float_bytes", "bits_per_weight"}) and its arithmetic: totals are the
sums over layers, float_bytes = 4 * prod(shape), bits_per_weight = 8 * bytes /
prod(shape), rel_error is finite and >= 0. Prints, for FileCheck:

  layer NAME op=OP shape=AxB bits=N group_size=G
  total bits_per_weight=X.XX ratio=R.RR

and "error: ..." lines on stderr; exits 1 if a check fails.
"""

import argparse
import json
import math
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--max-bits-per-weight", type=float)
    args = ap.parse_args()
    with open(args.report) as f:
        rep = json.load(f)

    errors = []
    for key in ("layers", "total_bytes", "total_float_bytes", "bits_per_weight"):
        if key not in rep:
            errors.append(f"missing top-level key '{key}'")
    if errors:
        for e in errors:
            print("error: " + e, file=sys.stderr)
        return 1

    total, total_float, numel_all = 0, 0, 0
    for layer in rep["layers"]:
        name = layer.get("name", "?")
        for key in ("name", "op", "shape", "bits", "bytes", "float_bytes",
                    "bits_per_weight", "rel_error"):
            if key not in layer:
                errors.append(f"layer {name}: missing '{key}'")
        if any(k not in layer for k in ("shape", "bytes", "float_bytes")):
            continue
        numel = math.prod(layer["shape"])
        numel_all += numel
        total += layer["bytes"]
        total_float += layer["float_bytes"]
        if layer["float_bytes"] != 4 * numel:
            errors.append(f"layer {name}: float_bytes {layer['float_bytes']} "
                          f"!= 4 * {numel}")
        bpw = layer.get("bits_per_weight")
        if bpw is not None and abs(bpw - 8.0 * layer["bytes"] / numel) > 0.01:
            errors.append(f"layer {name}: bits_per_weight {bpw} != 8 * "
                          f"{layer['bytes']} / {numel}")
        bits = layer.get("bits")
        if bits is not None and bits < 32 and layer["bytes"] * 8 < bits * numel:
            errors.append(f"layer {name}: {layer['bytes']} bytes cannot hold "
                          f"{numel} {bits}-bit codes")
        err = layer.get("rel_error")
        if err is not None and not (math.isfinite(err) and err >= 0):
            errors.append(f"layer {name}: rel_error {err}")
        shape = "x".join(str(d) for d in layer["shape"])
        print(f"layer {name} op={layer.get('op')} shape={shape} "
              f"bits={layer.get('bits')} group_size={layer.get('group_size', '-')}")

    if total != rep["total_bytes"]:
        errors.append(f"total_bytes {rep['total_bytes']} != sum of layers {total}")
    if total_float != rep["total_float_bytes"]:
        errors.append(f"total_float_bytes {rep['total_float_bytes']} != sum "
                      f"of layers {total_float}")
    if numel_all and abs(rep["bits_per_weight"] - 8.0 * total / numel_all) > 0.01:
        errors.append(f"bits_per_weight {rep['bits_per_weight']} != 8 * "
                      f"{total} / {numel_all}")
    if (args.max_bits_per_weight is not None
            and rep["bits_per_weight"] > args.max_bits_per_weight):
        errors.append(f"bits_per_weight {rep['bits_per_weight']} > "
                      f"{args.max_bits_per_weight}")
    ratio = rep["total_float_bytes"] / rep["total_bytes"] if rep["total_bytes"] else 0
    print(f"total bits_per_weight={rep['bits_per_weight']:.2f} ratio={ratio:.2f}")
    for e in errors:
        print("error: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
