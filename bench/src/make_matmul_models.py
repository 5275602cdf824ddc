#!/usr/bin/env python3
"""Writes the GEMV/GEMM benchmark's ONNX models (bench/gemv-speed.sh).

usage: make_matmul_models.py OUT_DIR K N BATCH LAYERS

OUT_DIR/float.onnx      a chain of LAYERS MatMuls x[BATCH, K] -> [BATCH, N]
                        (alternating K x N and N x K weights so the chain
                        closes), random N(0, 1/K) weights, external data;
OUT_DIR/nbits-acc0.onnx the same chain as com.microsoft::MatMulNBits, int4,
OUT_DIR/nbits-acc4.onnx block 128, with accuracy_level 0 and 4 (ONNX
                        Runtime's int4 kernels: f32 and int8 activations);
OUT_DIR/x.npy           the input.
Weights are random: the benchmark measures speed, not quality.
quantize_nbits_asym (asymmetric, with zero points, as ONNX Runtime's
quantizer) serves bench/src/make_generate_models.py.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def weights(rng, layers, k, n):
    for i in range(layers):
        rows, cols = (k, n) if i % 2 == 0 else (n, k)
        yield (rng.standard_normal((rows, cols), dtype=np.float32) /
               np.float32(np.sqrt(rows)))


def quantize_nbits(w, block=128):
    """MatMulNBits int4 (symmetric, zero point 8) of w [K, N]."""
    k, n = w.shape
    wt = w.T.reshape(n, k // block, block)
    scale = np.abs(wt).max(axis=2) / 7 + 1e-12
    q = np.clip(np.rint(wt / scale[:, :, None]) + 8, 0, 15).astype(np.uint8)
    return pack_nibbles(q), scale.astype(np.float32).reshape(-1)


def pack_nibbles(q):
    """uint8 codes [N, blocks, block] -> MatMulNBits' B [N, blocks, block/2]:
    element 2i in the low nibble of byte i, 2i+1 in the high one."""
    return (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)


def quantize_nbits_asym(w, block=128):
    """MatMulNBits int4 of w [K, N], asymmetric, as ONNX Runtime's own
    quantizer (MatMulNBitsQuantizer, is_symmetric=False; MLAS
    BlockwiseQuantizer): per block of `block` rows of a column, min/max
    widened to include 0, scale = (max - min) / 15, zero point =
    roundf(-min / scale) clamped to [0, 15], code = clamp(roundf(v / scale +
    zp), 0, 15) (roundf: halves away from zero), f32 scales. K is padded
    with zeros to a multiple of `block`. Returns (B uint8 [N, blocks,
    block/2], scales f32 [N * blocks], zero_points uint8 [N * ceil(blocks /
    2)], two per byte, low nibble first; with an odd number of blocks each
    column's last high nibble is 8, as ONNX Runtime writes it)."""
    k, n = w.shape
    blocks = -(-k // block)
    w = np.asarray(w, dtype=np.float32)
    if blocks * block != k:
        w = np.concatenate([w, np.zeros((blocks * block - k, n), np.float32)])
    wt = np.ascontiguousarray(w.T).reshape(n, blocks, block)
    lo = np.minimum(wt.min(axis=2), np.float32(0))
    hi = np.maximum(wt.max(axis=2), np.float32(0))
    scale = ((hi - lo) / np.float32(15)).astype(np.float32)
    nonzero = scale != 0
    zp_f = np.where(nonzero, -lo / np.where(nonzero, scale, 1), lo)
    zp = np.clip(np.floor(np.abs(zp_f) + 0.5) * np.sign(zp_f), 0, 15)
    zp = zp.astype(np.float32)
    recip = np.where(nonzero, np.float32(1) / np.where(nonzero, scale, 1),
                     np.float32(0)).astype(np.float32)
    x = wt * recip[:, :, None] + zp[:, :, None]
    q = np.clip(np.floor(np.abs(x) + 0.5) * np.sign(x), 0, 15).astype(np.uint8)
    zq = zp.astype(np.uint8)
    if blocks % 2:
        zq = np.concatenate([zq, np.full((n, 1), 8, np.uint8)], axis=1)
    zpacked = (zq[:, 0::2] | (zq[:, 1::2] << 4)).astype(np.uint8)
    return pack_nibbles(q), scale.reshape(-1), zpacked.reshape(-1)


def save(model, path):
    onnx.save(model, path, save_as_external_data=True,
              location=os.path.basename(path) + ".data", size_threshold=1024)


def main():
    out, k, n, batch, layers = sys.argv[1], *map(int, sys.argv[2:6])
    os.makedirs(out, exist_ok=True)
    dims = [k if i % 2 == 0 else n for i in range(layers + 1)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, k])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                      [batch, dims[layers]])
    float_nodes, float_inits = [], []
    nbits = {0: ([], []), 4: ([], [])}
    for i, w in enumerate(weights(np.random.default_rng(0), layers, k, n)):
        src = "x" if i == 0 else f"h{i}"
        dst = "y" if i == layers - 1 else f"h{i + 1}"
        float_nodes.append(helper.make_node("MatMul", [src, f"w{i}"], [dst],
                                            name=f"mm{i}"))
        float_inits.append(numpy_helper.from_array(w, f"w{i}"))
        packed, scales = quantize_nbits(w)
        for level, (nodes, inits) in nbits.items():
            nodes.append(helper.make_node(
                "MatMulNBits", [src, f"b{i}", f"s{i}"], [dst], name=f"mm{i}",
                domain="com.microsoft", K=w.shape[0], N=w.shape[1], bits=4,
                block_size=128, accuracy_level=level))
            inits += [numpy_helper.from_array(packed, f"b{i}"),
                      numpy_helper.from_array(scales, f"s{i}")]
    opsets = [helper.make_opsetid("", 17)]
    save(helper.make_model(helper.make_graph(float_nodes, "chain", [x], [y],
                                             float_inits),
                           opset_imports=opsets), f"{out}/float.onnx")
    for level, (nodes, inits) in nbits.items():
        save(helper.make_model(
            helper.make_graph(nodes, "chain", [x], [y], inits),
            opset_imports=opsets + [helper.make_opsetid("com.microsoft", 1)]),
            f"{out}/nbits-acc{level}.onnx")
    np.save(f"{out}/x.npy",
            np.random.default_rng(1).standard_normal((batch, k),
                                                     dtype=np.float32))


if __name__ == "__main__":
    main()
