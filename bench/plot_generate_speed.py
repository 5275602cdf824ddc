#!/usr/bin/env python3
"""Plots bench/generate-speed.sh's JSON: decode speed and weight size by
format, quantc vs ONNX Runtime vs the DRAM-bandwidth limit.

usage: plot_generate_speed.py RESULTS.json OUT.png

Left: decode tokens/s per format, one bar per thread count (ONNX Runtime's
hatched), each bar's limit (DRAM read bandwidth over the weight bytes a
token reads) drawn as a black tick above it and the bar labelled with its
fraction of that limit. Right: the weight bytes a decoded token reads and
the stored total (embedding included), MB. Needs python3-matplotlib
(Debian).
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ORDER = ["fp32", "ort-fp32", "f16", "w8a8", "w4", "w4a8", "w4-gptq", "ort-int4"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("out")
    a = ap.parse_args()
    doc = json.load(open(a.results))
    rows = doc["results"]
    measured = {r["variant"] for r in rows}
    formats = {f["variant"]: f for f in doc["formats"] if f["variant"] in measured}
    names = [v for v in ORDER if v in formats] + \
        [v for v in formats if v not in ORDER]
    threads = sorted({r["threads"] for r in rows})
    cfg = doc["config"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5.5),
                                      gridspec_kw={"width_ratios": [3, 2]})
    width = 0.8 / len(threads)
    for i, t in enumerate(threads):
        xs, ys, lims, fracs = [], [], [], []
        for j, v in enumerate(names):
            r = [r for r in rows if r["variant"] == v and r["threads"] == t]
            if not r:
                continue
            xs.append(j + i * width)
            ys.append(r[0]["decode_tokens_per_s"])
            lims.append(r[0]["limit_tokens_per_s"])
            fracs.append(r[0]["of_limit"])
        bars = left.bar(xs, ys, width, label=f"{t} thread{'s' if t > 1 else ''}")
        for rect, x in zip(bars, xs):
            if names[round(x - i * width)].startswith("ort"):
                rect.set_hatch("//")
        left.scatter(xs, lims, marker="_", s=300, color="black", zorder=3,
                     label="limit (DRAM read / bytes per token)" if i == 0 else None)
        for x, y, f in zip(xs, ys, fracs):
            left.text(x, y, f"{f:.2f}", ha="center", va="bottom", fontsize=7)
    left.set_xticks([j + 0.4 - width / 2 for j in range(len(names))])
    left.set_xticklabels(names, rotation=30)
    left.set_ylabel("decode tokens/s (batch 1)")
    left.set_title(f"{cfg['params'] / 1e6:.0f}M-parameter decoder: "
                   f"{cfg['prompt_tokens']}-token prompt, {cfg['new_tokens']} new "
                   f"tokens, context {cfg['max_context']} (labels: of limit)",
                   fontsize=10)
    left.legend(fontsize=8)
    xs = range(len(names))
    read = [formats[v]["read_bytes_per_token"] / 1e6 for v in names]
    total = [formats[v]["weight_bytes"] / 1e6 for v in names]
    right.bar([x - 0.2 for x in xs], read, 0.4, label="read per token")
    right.bar([x + 0.2 for x in xs], total, 0.4, label="stored (with embedding)")
    right.set_xticks(list(xs))
    right.set_xticklabels(names, rotation=30)
    right.set_ylabel("weights, MB")
    right.set_title("weight bytes by format", fontsize=10)
    right.legend(fontsize=8)
    bw = doc["machine"]["read_gb_per_s"]["dram"]
    fig.suptitle(f"{doc['machine'].get('cpu', '')}: DRAM read "
                 + ", ".join(f"{v} GB/s ({t}T)" for t, v in bw.items()),
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)


if __name__ == "__main__":
    main()
