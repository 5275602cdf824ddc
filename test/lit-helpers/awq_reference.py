#!/usr/bin/python3
"""Independent numpy reference of AWQ's scale search (no clip search) for the
qc-awq lit tests.

For alpha in {0, 1/n, ..., (n-1)/n}: s = max(mean|x|^alpha, 1e-4),
s /= sqrt(max(s) min(s)); the candidate weight is Q(W s) / s with the AWQ
authors' quantizer (range [min, max], scale max(max-min, 1e-5)/(2^b-1),
zero point clamp(round(-min/scale), 0, 2^b-1)); the loss is the mean squared
output error over the sample X. Prints JSON: alpha, column multipliers 1/s,
packed codes (signed bytes), scales, zero points.
"""
import argparse
import json

import numpy as np


def quantize(w, bits, group):
    rows, k = w.shape
    g = k if group == 0 else group
    maxq = np.float32(2**bits - 1)
    codes = np.zeros(w.shape, dtype=np.int64)
    scales = np.zeros((rows, (k + g - 1) // g), dtype=np.float32)
    zeros = np.zeros_like(scales, dtype=np.int64)
    deq = np.zeros_like(w)
    for r in range(rows):
        for j, b in enumerate(range(0, k, g)):
            x = w[r, b:b + g]
            lo, hi = x.min(), x.max()
            s = np.float32(max(np.float32(hi - lo), np.float32(1e-5)) / maxq)
            z = np.clip(np.round(-lo / s), 0, maxq)
            q = np.clip(np.round(x / s) + z, 0, maxq)
            codes[r, b:b + g] = q
            scales[r, j], zeros[r, j] = s, int(z)
            deq[r, b:b + g] = s * (q - z)
    return codes, scales, zeros, deq


def pack(codes, bits):
    rows, k = codes.shape
    nbytes = (k * bits + 7) // 8
    out = []
    for r in range(rows):
        acc = 0
        for i in range(k):
            acc |= int(codes[r, i]) << (i * bits)
        row = [(acc >> (8 * j)) & 0xFF for j in range(nbytes)]
        out.append([v - 256 if v > 127 else v for v in row])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--bits", type=int, required=True)
    ap.add_argument("--group", type=int, default=0)
    ap.add_argument("--grid", type=int, default=20)
    a = ap.parse_args()
    w = np.load(a.weights).astype(np.float32)
    x = np.load(a.samples).astype(np.float32)
    mean_abs = np.abs(x).mean(axis=0).astype(np.float32)
    ref = x.astype(np.float64) @ w.T.astype(np.float64)
    best = None
    for i in range(a.grid):
        alpha = i / a.grid
        s = np.maximum(mean_abs.astype(np.float32)**np.float32(alpha),
                       np.float32(1e-4)).astype(np.float32)
        s = (s / np.sqrt(s.max() * s.min())).astype(np.float32)
        codes, scales, zeros, deq = quantize((w * s).astype(np.float32),
                                             a.bits, a.group)
        wq = deq / s
        loss = np.mean((ref - x.astype(np.float64) @ wq.T.astype(np.float64))**2)
        if best is None or loss < best[0]:
            best = (loss, alpha, s, codes, scales, zeros)
    loss, alpha, s, codes, scales, zeros = best
    print(json.dumps({
        "alpha": alpha, "loss": loss,
        "multipliers": [float(v) for v in (np.float32(1) / s)],
        "packed": pack(codes, a.bits),
        "scales": scales.tolist(), "zero_points": zeros.tolist()}))


if __name__ == "__main__":
    main()
