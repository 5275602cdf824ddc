#!/usr/bin/python3
"""Independent numpy reference for the qc-rtn lit tests.

Computes the packed codes, scales and zero points that test/passes/
Quantization/RTN.mlir expects, with float32 arithmetic like the pass, from
the quantizer's definition (GPTQ's min/max quantizer: range widened to hold
0; symmetric: [-max|w|, max|w|] with zero point 2^(bits-1)); codes packed
LSB-first per row. Run it to regenerate the CHECK values.
"""
import numpy as np


def rtn(w, bits, group, symmetric):
    w = np.asarray(w, dtype=np.float32)
    rows, k = w.shape
    g = k if group == 0 else group
    maxq = np.float32(2**bits - 1)
    codes = np.zeros(w.shape, dtype=np.int64)
    scales, zeros = [], []
    for r in range(rows):
        srow, zrow = [], []
        for b in range(0, k, g):
            x = w[r, b:b + g]
            lo = np.minimum(x.min(), np.float32(0))
            hi = np.maximum(x.max(), np.float32(0))
            if symmetric:
                hi = np.maximum(-lo, hi)
                lo = -hi
            if lo == 0 and hi == 0:
                lo, hi = np.float32(-1), np.float32(1)
            s = np.float32((hi - lo) / maxq)
            z = np.float32(2**(bits - 1)) if symmetric else np.clip(
                np.round(-lo / s), 0, maxq)
            codes[r, b:b + g] = np.clip(np.round(x / s) + z, 0, maxq)
            srow.append(s)
            zrow.append(int(z))
        scales.append(srow)
        zeros.append(zrow)
    row_bytes = (k * bits + 7) // 8
    packed = np.zeros((rows, row_bytes), dtype=np.int64)
    for r in range(rows):
        acc = 0
        for i in range(k):
            acc |= int(codes[r, i]) << (i * bits)
        for j in range(row_bytes):
            packed[r, j] = (acc >> (8 * j)) & 0xFF
    signed = np.where(packed > 127, packed - 256, packed)
    return signed.tolist(), scales, zeros


if __name__ == "__main__":
    cases = {
        "asym4_per_channel": ([[0.0, 1.0, 2.0, 3.0], [-1.0, 0.5, 0.25, 1.0]],
                              4, 0, False),
        "sym8_per_channel": ([[-2.0, 1.0, 0.5, 2.0]], 8, 0, True),
        "asym3_group4": ([[0.1, -0.2, 0.3, 0.4, 1.0, 0.5, -0.5, 0.0]], 3, 4,
                         False),
        "sym2_group2": ([[1.0, -1.0, 0.5, 0.25]], 2, 2, True),
        "asym4_ragged_group3": ([[1.0, 2.0, 3.0, 4.0, 5.0]], 4, 3, False),
    }
    for name, (w, bits, group, sym) in cases.items():
        packed, scales, zeros = rtn(w, bits, group, sym)
        print(name, "packed", packed, "scales",
              [[float(s) for s in r] for r in scales], "zeros", zeros)
