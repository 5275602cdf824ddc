#!/usr/bin/python3
"""Recomputes a quantized conv_gemm model's output from its --emit=mlir IR.

usage: dequant_reference.py MODEL.mlir X.npy OUT.npy [--report REPORT.json]

Reads the qc.quantized_weight ops of the two layers (conv, fc) from the IR
text (small constants are printed inline), decodes them in numpy from the
documented format -- LSB-first bit stream per row, scale * (code - zero
point), group index, column scales (docs/quantized-weights.md) -- and runs
the conv -> relu -> flatten -> gemm model of conv_gemm_model.py. Comparing
with the compiled binary checks code generation of every weight feature
against an implementation that shares no code with quantc.

With --report, also checks that each quantized layer's "bytes" in quantc's
--report equal the bytes of the tensors its qc.quantized_weight stores
(codes, scales, zero points, column scales, group index), and prints
"stored bytes LAYER=N" lines.
"""
import json
import re
import sys

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from conv_gemm_model import conv2d  # noqa: E402

def parse_constants(text):
    consts = {}
    for m in re.finditer(
            r"(%[\w]+) = arith.constant dense<(.*?)> : tensor<([\dx]*)x?(\w+)>",
            text):
        name, body, dims, et = m.groups()
        shape = [int(d) for d in dims.split("x") if d] if dims else []
        if body.startswith('"0x'):
            # Larger attributes print as hex of their raw little-endian data.
            raw = bytes.fromhex(body[3:-1])
            values = np.frombuffer(raw, dtype={"i8": np.int8, "i32": np.int32,
                                               "f32": np.float32,
                                               "f16": np.float16}[et])
            values = values.astype(np.float64)
        else:
            values = np.array(eval(body.replace("inf", "float('inf')")),
                              dtype=np.float64)
        if values.ndim == 1 and values.size == int(np.prod(shape)):
            values = values.reshape(shape)  # Hex data is flat.
        consts[name] = np.broadcast_to(values, shape).copy() if shape else values
    # dense_resource blobs: hex in the resource section, after a 4-byte
    # alignment prefix.
    blobs = dict(re.findall(r'^\s*([\w.]+): "0x([0-9A-F]+)"', text, re.M))
    for m in re.finditer(
            r"(%[\w]+) = arith.constant dense_resource<([\w.]+)> : "
            r"tensor<([\dx]*)x(\w+)>", text):
        name, blob, dims, et = m.groups()
        raw = bytes.fromhex(blobs[blob])[4:]
        values = np.frombuffer(raw, dtype={"f32": np.float32, "i8": np.int8,
                                           "i32": np.int32}[et])
        consts[name] = values.astype(np.float64).reshape(
            [int(d) for d in dims.split("x")])
    return consts


def decode(op, consts, shape):
    m = re.search(r"qc.quantized_weight ([^{:(]*?)(?:\{|:|column_scales|group_index)", op)
    operands = [o.strip() for o in re.split(r",", m.group(1)) if o.strip()]
    packed, scales = consts[operands[0]], consts[operands[1]]
    zp = consts[operands[2]] if len(operands) > 2 and operands[2] else None
    cols = re.search(r"column_scales\((%\w+)", op)
    gidx = re.search(r"group_index\((%\w+)", op)
    layout = re.search(r"bits = (\d+), group_size = (\d+), symmetric = (\w+)",
                       op)
    bits, group, sym = int(layout.group(1)), int(layout.group(2)), \
        layout.group(3) == "true"
    rows = shape[0]
    k = int(np.prod(shape[1:]))
    g = k if group == 0 else group
    w = np.zeros((rows, k))
    for r in range(rows):
        acc = 0
        for j, byte in enumerate(packed[r]):
            acc |= (int(byte) & 0xFF) << (8 * j)
        for i in range(k):
            code = (acc >> (i * bits)) & ((1 << bits) - 1)
            grp = int(consts[gidx.group(1)][i]) if gidx else i // g
            z = 2**(bits - 1) if sym else int(zp[r, grp]) & 0xFF
            v = np.float32(scales[r, grp]) * np.float32(code - z)
            if cols:
                v *= np.float32(consts[cols.group(1)][i])
            w[r, i] = v
    return w.reshape(shape)


ELEMENT_BYTES = {"i8": 1, "i32": 4, "f16": 2, "bf16": 2, "f32": 4}


def stored_bytes(op):
    """Bytes of every tensor operand of a qc.quantized_weight line."""
    total = 0
    for dims, et in re.findall(r"tensor<([\dx]*?)x?(i8|i32|f16|bf16|f32)>", op):
        total += int(np.prod([int(d) for d in dims.split("x") if d])) * \
            ELEMENT_BYTES[et]
    return total


def check_report(report_path, named_ops):
    layers = {tuple(layer["shape"]): layer
              for layer in json.load(open(report_path))["layers"]}
    ok = True
    for shape, op in named_ops:
        layer, expected = layers[shape], stored_bytes(op)
        print(f"stored bytes {layer['name']}={expected}")
        if layer["bytes"] != expected:
            print(f"error: report says {layer['bytes']} bytes for "
                  f"{layer['name']}, the IR stores {expected}", file=sys.stderr)
            ok = False
    return ok


def main():
    args = [a for a in sys.argv[1:]]
    report = None
    if "--report" in args:
        i = args.index("--report")
        report = args[i + 1]
        del args[i:i + 2]
    sys.argv[1:] = args
    text = open(sys.argv[1]).read()
    consts = parse_constants(text)
    ops = re.findall(r".*qc.quantized_weight.*", text)
    by_shape = {tuple(v.shape): v for v in consts.values()}
    # A layer left in float (--exclude) keeps its f32 constant.
    conv_ops = [o for o in ops if "qweight<6x2x3x3" in o]
    fc_ops = [o for o in ops if "qweight<5x54" in o]
    wc = (decode(conv_ops[0], consts, (6, 2, 3, 3)) if conv_ops
          else by_shape[(6, 2, 3, 3)])
    wg = decode(fc_ops[0], consts, (5, 54)) if fc_ops else by_shape[(5, 54)]
    biases = [v for v in consts.values() if v.shape in ((6,), (5,))]
    bc = next(v for v in biases if v.shape == (6,))
    bg = next(v for v in biases if v.shape == (5,))
    x = np.load(sys.argv[2]).astype(np.float64)
    c = np.maximum(conv2d(x, wc, bc, 2, 1, 2), 0)
    y = c.reshape(x.shape[0], -1) @ wg.T + bg
    np.save(sys.argv[3], y.astype(np.float32))
    named = [((6, 2, 3, 3), o) for o in conv_ops[:1]] + \
        [((5, 54), o) for o in fc_ops[:1]]
    if report and not check_report(report, named):
        sys.exit(1)


if __name__ == "__main__":
    main()
