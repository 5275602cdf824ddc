#!/usr/bin/env python3
"""Independent numpy reference for small ONNX CNN/MLP models, optionally with
simulated round-to-nearest weight quantization, for lit tests.

usage: onnx_reference.py MODEL.onnx --input NAME=X.npy --output OUT.npy
           [--quant none|rtn] [--bits N] [--group-size G] [--symmetric]
           [--scale-type f32|f16|bf16] [--exclude REGEX] [--act-bits 8]

Runs the graph with plain numpy (float64 accumulation) and writes the first
graph output to OUT.npy as float32. Ops: Conv (group 1), Relu, Flatten, Gemm,
MatMul, Add, Mul, Reshape, Identity.

With --quant=rtn, the weight of every Conv (input 1, rows = output channels,
each row the flattened [C/group, kh, kw] kernel) and Gemm/MatMul (rows = output
features) whose node name does not match --exclude is replaced by its
dequantized round-to-nearest version, computed here in float32 exactly as the
GPTQ reference quantizer does: per group of G weights along a row (G = 0 or
G >= row length: one group per row), range [min(0, min w), max(0, max w)]
(symmetric: [-max|w|, max|w|]; all-zero groups: [-1, 1]),
scale = (hi - lo) / (2^bits - 1) rounded to the scale type, zero point
round(-lo / scale) (symmetric: 2^(bits-1)), code = clamp(round(w / scale) +
zp, 0, 2^bits - 1), w' = scale * (code - zp). Rounding is to nearest, ties to
even. It shares no code with quantc.
"""

import argparse
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def round_scale(x, scale_type):
    x = np.asarray(x, dtype=np.float32)
    if scale_type == "f32":
        return x
    if scale_type == "f16":
        return x.astype(np.float16).astype(np.float32)
    if scale_type == "bf16":
        # Round to nearest even on the upper 16 bits of the float32 pattern.
        bits = x.view(np.uint32).astype(np.uint64)
        lsb = (bits >> 16) & 1
        rounded = ((bits + 0x7FFF + lsb) >> 16) << 16
        return rounded.astype(np.uint32).view(np.float32)
    raise ValueError(scale_type)


def quantize_rows(w2d, bits, group_size, symmetric, scale_type):
    """Dequantized RTN weights of a [rows, row_length] float32 matrix."""
    w2d = np.asarray(w2d, dtype=np.float32)
    rows, n = w2d.shape
    g = n if group_size == 0 or group_size >= n else group_size
    maxq = np.float32(2**bits - 1)
    out = np.empty_like(w2d)
    for begin in range(0, n, g):
        blk = w2d[:, begin:begin + g]
        lo = np.minimum(blk.min(axis=1), np.float32(0))
        hi = np.maximum(blk.max(axis=1), np.float32(0))
        if symmetric:
            hi = np.maximum(-lo, hi)
            lo = -hi
        zero_range = (lo == 0) & (hi == 0)
        lo = np.where(zero_range, np.float32(-1), lo).astype(np.float32)
        hi = np.where(zero_range, np.float32(1), hi).astype(np.float32)
        scale = round_scale((hi - lo) / maxq, scale_type)
        if symmetric:
            zp = np.full_like(scale, np.float32(2**(bits - 1)))
        else:
            zp = np.clip(np.rint(-lo / scale), 0, maxq).astype(np.float32)
        s = scale[:, None]
        z = zp[:, None]
        code = np.clip(np.rint(blk / s) + z, 0, maxq).astype(np.float32)
        out[:, begin:begin + g] = s * (code - z)
    return out


def quantize_activation(x, k, group_size):
    """x with each row's blocks quantized to int8 and back (--act-bits 8)."""
    g = k if group_size == 0 or group_size >= k else group_size
    block = g if g <= 256 else next(b for b in (256, 128, 64, 32) if g % b == 0)
    shape = x.shape
    blocks = np.asarray(x, dtype=np.float32).reshape(-1, k // block, block)
    amax = np.abs(blocks).max(axis=2, keepdims=True)
    inv = np.where(amax > 0, np.float32(127) / np.where(amax > 0, amax, 1),
                   np.float32(0)).astype(np.float32)
    q = np.rint((blocks * inv).astype(np.float32))
    return (q * (amax / np.float32(127)).astype(np.float32)).reshape(shape)


def conv2d(x, w, b, pads, strides, dilations, group):
    if group != 1:
        raise NotImplementedError("Conv with group != 1")
    if any(d != 1 for d in dilations):
        raise NotImplementedError("Conv with dilation != 1")
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    pt, pl, pb, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    sh, sw = strides
    oh = (h + pt + pb - kh) // sh + 1
    ow = (wd + pl + pr - kw) // sw + 1
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
    y = np.einsum("nckloq,mckl->nmoq", cols, w.astype(np.float64),
                  optimize=True)
    if b is not None:
        y += b.astype(np.float64)[None, :, None, None]
    return y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--input", action="append", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--quant", choices=["none", "rtn"], default="none")
    ap.add_argument("--bits", type=int, default=8)
    ap.add_argument("--group-size", type=int, default=0)
    ap.add_argument("--symmetric", action="store_true")
    ap.add_argument("--scale-type", choices=["f32", "f16", "bf16"], default="f16")
    ap.add_argument("--exclude")
    ap.add_argument("--act-bits", type=int, choices=[0, 8], default=0)
    args = ap.parse_args()

    model = onnx.load(args.model)
    graph = model.graph
    env = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for spec in args.input:
        name, _, path = spec.partition("=")
        env[name] = np.load(path).astype(np.float64)
    exclude = re.compile(args.exclude) if args.exclude else None

    def quantized(node):
        return args.quant == "rtn" and not (exclude and exclude.search(node.name))

    def activation(node, x, row_length, out_features):
        # quantc's int8 kernels: the GEMV (batch 1-4, any output count) and
        # the row-interleaved one (any batch, output features a multiple of
        # 4 lanes); other batched layers keep f32 activations.
        rows = x.size // row_length
        group = args.group_size if 0 < args.group_size < row_length else row_length
        if args.act_bits != 8 or not quantized(node) or \
                row_length % group != 0 or \
                (rows > 4 and out_features % 4 != 0):
            return x
        return quantize_activation(x, row_length, args.group_size)

    def weight(node, idx, rows_first):
        w = env[node.input[idx]].astype(np.float32)
        if args.quant != "rtn" or (exclude and exclude.search(node.name)):
            return w
        mat = w.reshape(w.shape[0], -1) if rows_first else w.T
        q = quantize_rows(mat, args.bits, args.group_size, args.symmetric,
                          args.scale_type)
        return q.reshape(w.shape) if rows_first else q.T

    for node in graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            w = weight(node, 1, rows_first=True)
            k = w.shape[2:]
            pads = list(attrs.get("pads", [0] * 4))
            y = conv2d(ins[0], w, ins[2] if len(ins) > 2 else None,
                       [pads[0], pads[1], pads[2], pads[3]],
                       attrs.get("strides", [1, 1]),
                       attrs.get("dilations", [1, 1]), attrs.get("group", 1))
            if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise NotImplementedError("Conv auto_pad")
            del k
        elif op == "Relu":
            y = np.maximum(ins[0], 0)
        elif op == "Flatten":
            axis = attrs.get("axis", 1)
            s = ins[0].shape
            y = ins[0].reshape(int(np.prod(s[:axis])), -1)
        elif op == "Gemm":
            a = ins[0].T if attrs.get("transA", 0) else ins[0]
            # Rows of the quantized matrix are output features: B^T rows.
            trans_b = attrs.get("transB", 0)
            a = activation(node, a, a.shape[-1],
                           ins[1].shape[0 if trans_b else 1])
            w = weight(node, 1, rows_first=bool(trans_b))
            b = w.T if trans_b else w
            y = attrs.get("alpha", 1.0) * (a.astype(np.float64) @ b.astype(np.float64))
            if len(ins) > 2 and ins[2] is not None:
                y = y + attrs.get("beta", 1.0) * ins[2].astype(np.float64)
        elif op == "MatMul":
            w = weight(node, 1, rows_first=False) if node.input[1] in \
                {t.name for t in graph.initializer} else ins[1]
            x = activation(node, ins[0], ins[0].shape[-1], ins[1].shape[-1]) \
                if node.input[1] in \
                {t.name for t in graph.initializer} else ins[0]
            y = x.astype(np.float64) @ w.astype(np.float64)
        elif op == "Add":
            y = ins[0] + ins[1]
        elif op == "Mul":
            y = ins[0] * ins[1]
        elif op == "Reshape":
            y = ins[0].reshape([d if d != 0 else ins[0].shape[i]
                                for i, d in enumerate(ins[1].tolist())])
        elif op == "Identity":
            y = ins[0]
        else:
            print(f"error: onnx_reference.py: unsupported op {op}", file=sys.stderr)
            return 1
        env[node.output[0]] = y

    np.save(args.output, env[graph.output[0].name].astype(np.float32))
    return 0


if __name__ == "__main__":
    sys.exit(main())
