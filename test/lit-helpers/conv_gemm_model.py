#!/usr/bin/python3
"""Builds a small Conv -> Relu -> Flatten -> Gemm ONNX model with seeded
random weights, an input, and numpy reference outputs for lit tests.

usage: conv_gemm_model.py OUT_DIR [--bits B --group G [--symmetric]]

Writes OUT_DIR/model.onnx, OUT_DIR/x.npy and OUT_DIR/expected.npy. With
--bits the reference uses weights quantized and dequantized by
rtn_reference.py (numpy, written from the quantizer's definition), so the
compiled binary's packing, unpacking and in-loop dequantization are checked
against an implementation that shares no code with quantc.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rtn_reference import rtn  # noqa: E402


def dequantized(w, bits, group, symmetric):
    rows = w.shape[0]
    flat = w.reshape(rows, -1)
    k = flat.shape[1]
    g = 0 if group >= k else group
    packed, scales, zeros = rtn(flat, bits, g, symmetric)
    gl = k if g == 0 else g
    out = np.zeros_like(flat)
    for r in range(rows):
        row = np.array(packed[r], dtype=np.int64) & 0xFF
        acc = 0
        for j, byte in enumerate(row):
            acc |= int(byte) << (8 * j)
        for i in range(k):
            code = (acc >> (i * bits)) & ((1 << bits) - 1)
            s, z = scales[r][i // gl], zeros[r][i // gl]
            out[r, i] = np.float32(s) * np.float32(code - z)
    return out.reshape(w.shape)


def conv2d(x, w, b, stride, pad, group):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, o, oh, ow), dtype=np.float64)
    per = o // group
    for f in range(o):
        g = f // per
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride:i * stride + kh,
                           j * stride:j * stride + kw]
                y[:, f, i, j] = (patch * w[f]).sum(axis=(1, 2, 3)) + b[f]
    return y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--bits", type=int)
    ap.add_argument("--group", type=int, default=0)
    ap.add_argument("--symmetric", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(7)
    wc = rng.normal(0, 0.5, (6, 2, 3, 3)).astype(np.float32)
    bc = rng.normal(0, 0.1, (6,)).astype(np.float32)
    wg = rng.normal(0, 0.3, (5, 6 * 3 * 3)).astype(np.float32)  # [out, in]
    bg = rng.normal(0, 0.1, (5,)).astype(np.float32)
    x = rng.normal(0, 1, (2, 4, 5, 5)).astype(np.float32)

    nodes = [
        helper.make_node("Conv", ["x", "wc", "bc"], ["c"], name="conv",
                         strides=[2, 2], pads=[1, 1, 1, 1], group=2),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Flatten", ["r"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "wg", "bg"], ["y"], name="fc",
                         transB=1),
    ]
    graph = helper.make_graph(
        nodes, "conv_gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])],
        [numpy_helper.from_array(wc, "wc"), numpy_helper.from_array(bc, "bc"),
         numpy_helper.from_array(wg, "wg"), numpy_helper.from_array(bg, "bg")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(args.out, "model.onnx"))

    if args.bits:
        wc = dequantized(wc, args.bits, args.group, args.symmetric)
        wg = dequantized(wg, args.bits, args.group, args.symmetric)
    c = np.maximum(conv2d(x.astype(np.float64), wc, bc, 2, 1, 2), 0)
    y = c.reshape(2, -1) @ wg.T.astype(np.float64) + bg
    np.save(os.path.join(args.out, "x.npy"), x)
    np.save(os.path.join(args.out, "expected.npy"), y.astype(np.float32))


if __name__ == "__main__":
    main()
