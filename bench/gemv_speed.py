#!/usr/bin/env python3
"""The measurements of bench/gemv-speed.sh, as one JSON document.

{"machine": {"read_gb_per_s": {"cache": {"1": .., "2": ..}, "dram": {..}},
             "fma_gflops": {"1": .., "2": ..},
             "int8_dot_gops": {"1": .., "2": ..} (0 without VNNI)},
 "results": [{"shape": "KxN", "batch", "regime": "hot"|"stream", "threads",
              "engine": "quantc"|"ort", "variant", "layers", "min_us"
              (per layer), "gflops", "weight_bytes" (per layer),
              "weight_gb_per_s", "of_read_bandwidth" (weight GB/s over the
              read bandwidth of the regime: cache when hot, DRAM when
              streaming), "of_fma_peak", "of_int8_peak" (int8-activation
              variants, GOP/s over the int8 dot-product peak), "vs_ort_fp32"
              and "vs_ort_int4_acc4"
              (ONNX Runtime's time over ours: > 1 is faster)}],
 "models": [{"model", "tokens", "engine", "variant", "threads", "min_ms",
             "vs_ort_fp32"}]}

Streaming is measured for the first shape (4096x4096) only.
Variants: fp32; w8/w4/w3 = RTN int8/int4/int3, groups of 128, f16 scales,
asymmetric (quantc's defaults); w4a8/w8a8 = the same with --act-bits=8.
ONNX Runtime: ort-fp32 (MatMul), ort-int4-acc0 / ort-int4-acc4 (MatMulNBits,
block 128, symmetric, f32 scales). Times are minima over the runs.
"""
import argparse
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VARIANTS = {
    "fp32": [],
    "w8": ["--quant=rtn", "--bits=8", "--group-size=128"],
    "w4": ["--quant=rtn", "--bits=4", "--group-size=128"],
    "w3": ["--quant=rtn", "--bits=3", "--group-size=128"],
    "w4a8": ["--quant=rtn", "--bits=4", "--group-size=128", "--act-bits=8"],
    "w8a8": ["--quant=rtn", "--bits=8", "--group-size=128", "--act-bits=8"],
}
STREAM_BYTES = 256 << 20


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def runs_for(batch, k, n, layers):
    flops = 2.0 * batch * k * n * layers
    return int(max(5, min(200, 4e10 / flops)))


def measure_models(args, threads, ort_env):
    """Whole forward passes: tinygpt-shakespeare over a 128-token window,
    quantc FP32 and RTN int4 (g64, lm_head FP32; W4A16 and W4A8) against
    ONNX Runtime FP32
    on the same ONNX file."""
    model = os.path.join(HERE, "..", "examples", "tinygpt-shakespeare",
                         "model-dynamic.onnx")
    ids = f"{args.work}/ids.npy"
    run(["/usr/bin/python3", "-c",
         "import numpy as np, sys; np.save(sys.argv[1], "
         "(np.arange(128, dtype=np.int64) * 7 % 60).reshape(1, 128))", ids])
    rows = []
    ort = {}
    for t in threads:
        out = run(["node", f"{HERE}/src/ort_time.js", model, "1x128", str(t),
                   "50", "input_ids", "int64"], env=ort_env)
        ort[t] = json.loads(out.stdout)["min_ms"]
        rows.append({"model": "tinygpt-shakespeare", "tokens": 128,
                     "engine": "ort", "variant": "fp32", "threads": t,
                     "min_ms": round(ort[t], 3)})
    for variant, flags in (("fp32", []),
                           ("w4-g64", ["--quant=rtn", "--bits=4",
                                       "--group-size=64",
                                       "--exclude=lm_head"]),
                           ("w4a8-g64", ["--quant=rtn", "--bits=4",
                                         "--group-size=64",
                                         "--exclude=lm_head",
                                         "--act-bits=8"])):
        exe = f"{args.work}/tinygpt-{variant}"
        run([args.quantc, model, "-o", exe, "--quiet",
             "--input-shape", "input_ids=1x128",
             f"--runtime-lib={args.runtime_lib}"] + flags)
        for t in threads:
            run([exe, "--input", f"input_ids={ids}", "--repeat", "2", "--time",
                 "--threads", str(t)])
            out = run([exe, "--input", f"input_ids={ids}", "--repeat", "50",
                       "--time", "--threads", str(t)])
            ms = json.loads(out.stderr.strip().splitlines()[-1])["min_ms"]
            rows.append({"model": "tinygpt-shakespeare", "tokens": 128,
                         "engine": "quantc", "variant": variant, "threads": t,
                         "min_ms": round(ms, 3),
                         "vs_ort_fp32": round(ort[t] / ms, 3)})
            log(f"tinygpt {variant} t{t}: {ms:.3f} ms (ORT FP32 {ort[t]:.3f})")
    return rows


def main():
    ap = argparse.ArgumentParser()
    for a in ("quantc", "runtime-lib", "work", "tools", "ort", "out"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    shapes = [(512, 512)] if args.smoke else [(4096, 4096), (4096, 11008)]
    batches = [1, 16] if args.smoke else [1, 4, 16, 128]
    threads = [1] if args.smoke else [1, 2]
    variants = ["fp32", "w4"] if args.smoke else list(VARIANTS)

    machine = {"read_gb_per_s": {"cache": {}, "dram": {}}, "fma_gflops": {},
               "int8_dot_gops": {}}
    for t in threads:
        for regime, size, reps in (("cache", 8 << 20, 200), ("dram", 1 << 30, 5)):
            out = run([f"{args.tools}/bandwidth", str(size), str(t), str(reps)])
            machine["read_gb_per_s"][regime][str(t)] = json.loads(out.stdout)["gb_per_s"]
        out = run([f"{args.tools}/fma_peak", str(t)])
        machine["fma_gflops"][str(t)] = json.loads(out.stdout)["gflops"]
        out = run([f"{args.tools}/int8_dot_peak", str(t)])
        machine["int8_dot_gops"][str(t)] = json.loads(out.stdout)["gops"]
    log(f"machine: {json.dumps(machine)}")

    results = []
    ort_env = dict(os.environ, NODE_PATH=args.ort)

    def measure(k, n, batch, layers, regime, variant_list, with_ort):
        d = f"{args.work}/{k}x{n}-b{batch}-l{layers}"
        run(["/usr/bin/python3", f"{HERE}/src/make_matmul_models.py", d,
             str(k), str(n), str(batch), str(layers)])
        runs = runs_for(batch, k, n, layers)
        rows = []
        for v in variant_list:
            exe = f"{d}/{v}"
            run([args.quantc, f"{d}/float.onnx", "-o", exe, "--quiet",
                 f"--runtime-lib={args.runtime_lib}", "--report", exe + ".json"]
                + VARIANTS[v])
            weight_bytes = json.load(open(exe + ".json"))["total_bytes"] / layers
            for t in threads:
                run([exe, "--input", f"{d}/x.npy", "--repeat", "2", "--time",
                     "--threads", str(t)])
                out = run([exe, "--input", f"{d}/x.npy", "--repeat", str(runs),
                           "--time", "--threads", str(t)])
                ms = json.loads(out.stderr.strip().splitlines()[-1])["min_ms"]
                rows.append(("quantc", v, t, ms, weight_bytes))
            os.remove(exe)
        if with_ort:
            for name, model, wbytes in (
                    ("ort-fp32", "float.onnx", 4.0 * k * n),
                    ("ort-int4-acc0", "nbits-acc0.onnx", k * n / 2 + k * n / 32),
                    ("ort-int4-acc4", "nbits-acc4.onnx", k * n / 2 + k * n / 32)):
                for t in threads:
                    out = run(["node", f"{HERE}/src/ort_time.js", f"{d}/{model}",
                               f"{batch}x{k}", str(t), str(runs)], env=ort_env)
                    rows.append(("ort", name, t, json.loads(out.stdout)["min_ms"],
                                 wbytes))
        ort = {(v, t): ms for e, v, t, ms, _ in rows if e == "ort"}
        for engine, v, t, ms, wbytes in rows:
            us = 1000.0 * ms / layers
            bw = machine["read_gb_per_s"]["cache" if regime == "hot" else "dram"][str(t)]
            gbps = wbytes / (us * 1e3)
            gflops = 2.0 * batch * k * n / (us * 1e3)
            row = {"shape": f"{k}x{n}", "batch": batch, "regime": regime,
                   "threads": t, "engine": engine, "variant": v,
                   "layers": layers, "min_us": round(us, 2),
                   "gflops": round(gflops, 2), "weight_bytes": int(wbytes),
                   "weight_gb_per_s": round(gbps, 2),
                   "of_read_bandwidth": round(gbps / bw, 3),
                   "of_fma_peak": round(gflops / machine["fma_gflops"][str(t)], 3)}
            int8_peak = machine["int8_dot_gops"][str(t)]
            if v.endswith("a8") and int8_peak:
                row["of_int8_peak"] = round(gflops / int8_peak, 3)
            for key, ref in (("vs_ort_fp32", "ort-fp32"),
                             ("vs_ort_int4_acc4", "ort-int4-acc4")):
                if (ref, t) in ort:
                    row[key] = round(1000.0 * ort[(ref, t)] / layers / us, 3)
            results.append(row)
            log(f"{row['shape']} b{batch} {regime} t{t} {engine}:{v} "
                f"{row['min_us']} us {row['weight_gb_per_s']} GB/s "
                f"{row['gflops']} GFLOP/s")

    for k, n in shapes:
        for batch in batches:
            measure(k, n, batch, 1, "hot", variants, True)
        if not args.smoke and (k, n) == shapes[0]:
            # Enough layers that the int4 chain's weights exceed 256 MB.
            layers = math.ceil(STREAM_BYTES / (k * n * 0.5352)) + 1
            layers += layers % 2  # An even chain closes at K.
            measure(k, n, 1, layers, "stream",
                    ["fp32", "w8", "w4", "w4a8", "w8a8"], True)
    models = measure_models(args, threads, ort_env)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"machine": machine, "results": results, "models": models},
                  f, indent=1)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
