#!/usr/bin/env python3
"""Plots bench/gemv-speed.sh's JSON: speed vs bits, quantc vs ONNX Runtime
vs the machine's limit.

usage: plot_gemv_speed.py RESULTS.json OUT.png [--shape 4096x4096]

Left: batch-1 GEMV, effective weight GB/s per variant (hot and streaming, 1
and 2 threads) with the measured read bandwidth as the limit lines. Right:
batch-128 GEMM GFLOP/s (GOP/s for the int8-activation variants) with the
FP32 FMA and int8 dot-product peaks. ONNX Runtime's bars are
hatched. Needs python3-matplotlib (Debian).
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ORDER = ["fp32", "ort-fp32", "w8", "w8a8", "w4", "w4a8", "ort-int4-acc0",
         "ort-int4-acc4", "w3"]


def bars(ax, rows, key, series, title, ylabel):
    width = 0.8 / len(series)
    names = [v for v in ORDER if any(r["variant"] == v for r in rows)]
    for i, (label, pick) in enumerate(series):
        values = []
        for v in names:
            match = [r for r in rows if r["variant"] == v and pick(r)]
            values.append(match[0][key] if match else 0)
        xs = [j + i * width for j in range(len(names))]
        b = ax.bar(xs, values, width, label=label)
        for rect, v in zip(b, names):
            if v.startswith("ort"):
                rect.set_hatch("//")
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(names))])
    ax.set_xticklabels(names, rotation=30)
    ax.set_title(title)
    ax.set_ylabel(ylabel)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("out")
    ap.add_argument("--shape", default="4096x4096")
    a = ap.parse_args()
    doc = json.load(open(a.results))
    machine, rows = doc["machine"], [r for r in doc["results"]
                                     if r["shape"] == a.shape]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    gemv = [r for r in rows if r["batch"] == 1]
    series = [(f"{regime} {t}T", (lambda r, g=regime, t=t:
                                  r["regime"] == g and r["threads"] == t))
              for regime in ("hot", "stream") for t in (1, 2)]
    bars(left, gemv, "weight_gb_per_s", series,
         f"GEMV batch 1, {a.shape}: effective weight bandwidth", "GB/s")
    for regime, style in (("cache", "--"), ("dram", ":")):
        for t, v in machine["read_gb_per_s"][regime].items():
            left.axhline(v, linestyle=style, color="gray", linewidth=0.8)
            left.text(0, v, f" {regime} read {t}T", fontsize=7, va="bottom")
    left.legend(fontsize=8)
    gemm = [r for r in rows if r["batch"] == 128]
    bars(right, gemm, "gflops",
         [(f"{t}T", (lambda r, t=t: r["threads"] == t)) for t in (1, 2)],
         f"GEMM batch 128, {a.shape}", "GFLOP/s (A8: GOP/s)")
    for t, v in machine["fma_gflops"].items():
        right.axhline(v, linestyle="--", color="gray", linewidth=0.8)
        right.text(0, v, f" FP32 FMA peak {t}T", fontsize=7, va="bottom")
    # The A8 variants' limit: int8 dot-product ops (2 per multiply-add).
    for t, v in machine.get("int8_dot_gops", {}).items():
        if v:
            right.axhline(v, linestyle=":", color="gray", linewidth=0.8)
            right.text(0, v, f" int8 dot peak {t}T", fontsize=7, va="bottom")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)


if __name__ == "__main__":
    main()
