#!/usr/bin/env python3
"""The measurements of bench/generate-speed.sh, as one JSON document.

Generation speed of a LLaMA-shaped decoder with random weights
(bench/src/make_generate_models.py; TinyLlama 1.1B's shapes by default,
--small for a 15M-parameter one): quantc generators (quantc --max-context=N)
in several weight formats against ONNX Runtime stepping the same model-kv
ONNX file (FP32) and its MatMulNBits int4 copy, on 1 and 2 threads, and
against the machine's limit: DRAM read bandwidth over the weight bytes
one decoded token reads.

{"machine": {"cpu", "cores", "mem_total_gb", "llc_mb", "kernel",
             "read_gb_per_s": {"dram": {"1": .., "2": ..}},
             "loadavg_start", "loadavg_end" (another job running makes the
             figures low)},
 "config": {model shape, "params", "prompt_tokens", "new_tokens",
            "max_context", "prefill_tokens", "threads", "runs", ...},
 "build": {"export_s", "export_peak_rss_mb", "model_bytes", ...},
 "formats": [{"variant", "engine": "quantc"|"ort", "flags",
              "weight_bytes" (every weight tensor as the format stores it,
              embedding and LM head included), "read_bytes_per_token" (the
              same without the embedding table, of which a token reads one
              row), "binary_bytes", "compile_s", "compile_peak_rss_mb"
              (quantc), "load_ms" (ORT session creation)}],
 "results": [{"variant", "engine", "threads", "prefill_ms",
              "prefill_tokens_per_s" (prompt tokens / prefill_ms),
              "decode_ms_per_token", "decode_tokens_per_s", "peak_rss_mb",
              "limit_tokens_per_s" (DRAM read GB/s / read_bytes_per_token),
              "of_limit", "vs_ort_fp32", "vs_ort_int4" (decode tokens/s over
              ONNX Runtime's at the same thread count: > 1 is faster),
              "tokens_equal_fp32" (new tokens equal to quantc FP32's)}],
 "sanity": {"quantc_fp32_equals_ort_fp32", ...}}

Variants: fp32; f16 (--weight-type=f16: f16 storage, f32 compute); w8a8
(RTN int8 per channel, --act-bits=8); w4 (RTN int4 groups of 128, f16
scales, asymmetric: quantc's defaults; W4A16) and w4a8 (the same with
--act-bits=8); w4-gptq (--gptq: GPTQ int4 g128 calibrated on random token
windows). quantc's embedding stays FP32 in every format; its LM head is
quantized like the other layers. ort-fp32: model-kv.onnx; ort-int4:
MatMulNBits bits 4 block 128 accuracy_level 4 (int8 activations),
asymmetric, f32 scales, embedding FP32.

Each quantc generator runs --runs times per thread count (a fresh process
each time: its prefill includes mapping the weights from the binary on
first use); the best prefill and the best decode are kept. ONNX Runtime
runs one warm-up generation and --ort-runs timed ones in one process.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
QUIET = os.environ.get("QUIET", "0") not in ("", "0")

RTN4 = ["--quant=rtn", "--bits=4", "--group-size=128"]
FORMATS = {
    "fp32": [],
    "f16": ["--weight-type=f16"],
    "w8a8": ["--quant=rtn", "--bits=8", "--group-size=0", "--act-bits=8"],
    "w4": RTN4,
    "w4a8": RTN4 + ["--act-bits=8"],
    "w4-gptq": ["--quant=gptq", "--bits=4", "--group-size=128"],
}
# quantc's compile peak RSS, MiB = base + a * FP32 linear-layer MiB + b *
# embedding MiB + c * layers. Since weights stay in the page cache
# (lib/Support/WeightStorage.h) the peak is the linker's reading of the
# weight object, about the stored weight bytes: fp32, w4 and w4a8 measured
# on the 1.1B generator (4313, 1314 and 1377 MB on 2026-12-03), f16 and
# w8a8 from their stored sizes; GPTQ's calibration still holds activations
# (past 11 GB at 1.1B with 128 x 32-token windows), a rough bound only.
COMPILE_MEMORY = {
    "fp32": (200, 1.0, 0.05, 0), "f16": (200, 0.55, 0.05, 0),
    "w8a8": (200, 0.35, 0.05, 0), "w4": (200, 0.27, 0.05, 0),
    "w4a8": (200, 0.29, 0.05, 0), "w4-gptq": (0, 3.0, 0, 0),
}
SIZE_KEYS = ("d_model", "n_layer", "n_head", "n_kv_head", "ffn", "vocab")
ITEMSIZE = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8,
            12: 4, 13: 8, 16: 2}


def log(msg):
    if not QUIET:
        print(f"generate-speed: {msg}", file=sys.stderr, flush=True)


class Failed(Exception):
    pass


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        killed = " (killed: out of memory?)" if r.returncode in (-9, 137) else ""
        raise Failed(f"exit {r.returncode}{killed}: {' '.join(cmd)}\n"
                     f"{r.stderr[-2000:]}")
    return r


def mem_available_mb():
    with open("/proc/meminfo") as f:
        return int(re.search(r"MemAvailable:\s*(\d+)", f.read()).group(1)) / 1024


def estimate_compile_mb(variant, linear_float_bytes, emb_bytes, layers):
    """quantc's peak compile RSS, MiB (COMPILE_MEMORY)."""
    base, a, b, c = COMPILE_MEMORY[variant]
    return base + (a * linear_float_bytes + b * emb_bytes) / 2**20 + c * layers


def timed(cmd, work, **kw):
    """Runs cmd under /usr/bin/time: (result, seconds, peak RSS MB)."""
    tf = os.path.join(work, "time.txt")
    r = run(["/usr/bin/time", "-f", "%e %M", "-o", tf] + cmd, **kw)
    secs, kb = open(tf).read().split()[-2:]
    return r, float(secs), round(int(kb) / 1024.0, 1)


def machine_facts():
    facts = {"kernel": platform.release(), "cores": os.cpu_count()}
    try:
        lscpu = run(["lscpu"]).stdout
        m = re.search(r"Model name:\s*(.+)", lscpu)
        facts["cpu"] = m.group(1).strip() if m else platform.processor()
        m = re.search(r"L3 cache:\s*([\d.]+)\s*([KMG]i?B)", lscpu)
        if m:
            mult = {"K": 1 / 1024, "M": 1, "G": 1024}[m.group(2)[0]]
            facts["llc_mb"] = float(m.group(1)) * mult
    except (OSError, Failed):
        facts["cpu"] = platform.processor()
    with open("/proc/meminfo") as f:
        kb = int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1))
    facts["mem_total_gb"] = round(kb / 2**20, 1)
    return facts


def onnx_weight_bytes(path, embedding):
    """(all initializer bytes, bytes a decoded token reads: the embedding
    table counted as one row) of an ONNX file, from its dims alone."""
    import onnx
    m = onnx.load(path, load_external_data=False)
    total = read = 0
    for t in m.graph.initializer:
        n = ITEMSIZE[t.data_type] * int(np.prod(t.dims, dtype=np.int64))
        total += n
        read += (n // t.dims[0]) if t.name == embedding else n
    return total, read


def main():
    ap = argparse.ArgumentParser()
    for a in ("quantc", "tools", "work", "out"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--runtime-lib")
    ap.add_argument("--ort", help="node_modules holding onnxruntime-node")
    ap.add_argument("--small", action="store_true",
                    help="d 512, 4 layers, 8/2 heads, FFN 1408, vocab 4096")
    for key in SIZE_KEYS:
        ap.add_argument("--" + key.replace("_", "-"), type=int)
    ap.add_argument("--models", help="reuse make_generate_models.py's "
                    "output in this folder instead of exporting (its size "
                    "options must match)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--prompt-tokens", type=int, default=32)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--max-context", type=int, default=128)
    ap.add_argument("--prefill-tokens", type=int,
                    help="quantc --prefill-tokens (default: the prompt length)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--formats", default="fp32,f16,w8a8,w4,w4a8")
    ap.add_argument("--gptq", action="store_true", help="add w4-gptq")
    ap.add_argument("--calib-samples", type=int, default=16)
    ap.add_argument("--calib-tokens", type=int, default=128)
    ap.add_argument("--runs", type=int, default=3,
                    help="quantc generator runs per thread count")
    ap.add_argument("--ort-runs", type=int, default=3)
    ap.add_argument("--no-ort", action="store_true")
    ap.add_argument("--bandwidth-bytes", type=int, default=1 << 30)
    ap.add_argument("--no-mem-guard", action="store_true",
                    help="compile even where the estimated peak RSS exceeds "
                         "MemAvailable")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    formats = a.formats.split(",") + (["w4-gptq"] if a.gptq else [])
    for f in formats:
        if f not in FORMATS:
            sys.exit(f"generate-speed: unknown format '{f}' "
                     f"(known: {', '.join(FORMATS)})")
    prefill = a.prefill_tokens or a.prompt_tokens
    if a.prompt_tokens + a.new_tokens - 1 > a.max_context:
        sys.exit("generate-speed: --prompt-tokens + --new-tokens - 1 exceeds "
                 "--max-context")
    t_start = time.monotonic()
    work = a.work
    machine = machine_facts()
    machine["loadavg_start"] = [round(x, 2) for x in os.getloadavg()]
    log(f"{machine.get('cpu')}, {machine['cores']} cores, load "
        f"{machine['loadavg_start'][0]}")
    if machine["loadavg_start"][0] > 0.5:
        log("warning: the machine is busy (load average above 0.5): the "
            "figures, 2-thread ones first, will be low")

    # 1. The machine's limit: DRAM read bandwidth.
    machine["read_gb_per_s"] = {"dram": {}}
    for t in threads:
        out = run([os.path.join(a.tools, "bandwidth"), str(a.bandwidth_bytes),
                   str(t), "5"]).stdout
        machine["read_gb_per_s"]["dram"][str(t)] = json.loads(out)["gb_per_s"]
    log(f"DRAM read GB/s by threads: {machine['read_gb_per_s']['dram']}")

    # 2. The models.
    mdir = a.models or os.path.join(work, "models")
    cmd = ["/usr/bin/python3", os.path.join(HERE, "src", "make_generate_models.py"),
           mdir, "--seed", str(a.seed)]
    if a.small:
        cmd.append("--small")
    for key in SIZE_KEYS:
        if getattr(a, key) is not None:
            cmd += ["--" + key.replace("_", "-"), str(getattr(a, key))]
    if a.no_ort:
        cmd.append("--no-nbits")
    env = dict(os.environ, OMP_NUM_THREADS=str(max(threads)))
    if a.models:
        log(f"using the models in {a.models} (exported earlier)")
        export_s = export_rss = None
    else:
        log("exporting the model (torch) and its MatMulNBits copy")
        _, export_s, export_rss = timed(cmd, work, env=env)
    meta = json.load(open(os.path.join(mdir, "model.json")))
    cfg = meta["config"]
    head_dim = cfg["d_model"] // cfg["n_head"]
    model = os.path.join(mdir, "model-kv.onnx")
    nbits = os.path.join(mdir, "model-kv-nbits.onnx")
    size = lambda p: os.path.getsize(p) + os.path.getsize(p + ".data")
    build = {"export_s": export_s, "export_peak_rss_mb": export_rss,
             "model_kv_bytes": size(model)}
    if not a.no_ort:
        build["model_kv_nbits_bytes"] = size(nbits)
    log(f"model: {meta['params'] / 1e6:.1f}M parameters "
        f"{json.dumps({k: cfg[k] for k in SIZE_KEYS})}" +
        (f", exported in {export_s:.1f} s, peak {export_rss:.0f} MB"
         if export_s is not None else ""))
    tensors = meta["tensors"]
    emb_name = next(n for n, t in tensors.items() if t["kind"] == "embedding")
    emb_bytes = 4 * int(np.prod(tensors[emb_name]["shape"]))
    emb_row = 4 * cfg["d_model"]
    norm_bytes = sum(4 * int(np.prod(t["shape"])) for t in tensors.values()
                     if t["kind"] == "norm")

    rng = np.random.default_rng(a.seed + 1)
    prompt = rng.integers(0, cfg["vocab"], (1, a.prompt_tokens)).astype(np.int64)
    prompt_npy = os.path.join(work, "prompt.npy")
    prompt_bin = os.path.join(work, "prompt.bin")
    np.save(prompt_npy, prompt)
    prompt.astype("<i8").tofile(prompt_bin)
    calib = os.path.join(work, "calib.npy")
    np.save(calib, rng.integers(0, cfg["vocab"], (a.calib_samples, a.calib_tokens))
            .astype(np.int64))

    config = dict({k: cfg[k] for k in SIZE_KEYS}, head_dim=head_dim,
                  params=meta["params"], seed=a.seed,
                  rope_theta=cfg["rope_theta"], prompt_tokens=a.prompt_tokens,
                  new_tokens=a.new_tokens, batch=1, max_context=a.max_context,
                  prefill_tokens=prefill, threads=threads, runs=a.runs,
                  ort_runs=a.ort_runs, small=a.small,
                  weights="random N(0, 0.02) (o_proj/down_proj N(0, 0.02/sqrt(2L)))",
                  kv_cache_bytes_per_decode_step_quantc=(
                      2 * cfg["n_layer"] * cfg["n_kv_head"] * a.max_context *
                      head_dim * 4))
    formats_out, results = [], []
    tokens = {}

    # 3. quantc generators.
    linear_float = sum(4 * int(np.prod(t["shape"])) for t in tensors.values()
                       if t["kind"] in ("linear", "lm_head"))

    def quantc(variant):
        exe = os.path.join(work, f"gen-{variant}")
        report = exe + ".json"
        flags = list(FORMATS[variant])
        if variant == "w4-gptq":
            flags.append(f"--calib=input_ids={calib}")
        cmd = [a.quantc, model, "-o", exe, f"--max-context={a.max_context}",
               f"--prefill-tokens={prefill}", "--report", report, "--quiet"]
        if a.runtime_lib:
            cmd.append(f"--runtime-lib={a.runtime_lib}")
        fmt = {"variant": variant, "engine": "quantc",
               "flags": " ".join(FORMATS[variant]),
               "estimated_compile_peak_rss_mb": round(estimate_compile_mb(
                   variant, linear_float, emb_bytes, cfg["n_layer"]))}
        formats_out.append(fmt)
        avail = mem_available_mb()
        if fmt["estimated_compile_peak_rss_mb"] > avail and not a.no_mem_guard:
            fmt["skipped"] = (f"estimated compile peak "
                              f"{fmt['estimated_compile_peak_rss_mb']} MB > "
                              f"MemAvailable {avail:.0f} MB (--no-mem-guard "
                              "compiles anyway)")
            log(f"quantc {variant}: skipped: {fmt['skipped']}")
            return
        log(f"quantc {variant}: compiling {' '.join(flags)} (estimated peak "
            f"{fmt['estimated_compile_peak_rss_mb']} MB)")
        try:
            _, compile_s, compile_rss = timed(cmd + flags, work)
        finally:
            if os.path.exists(exe) and not os.path.exists(report):
                os.remove(exe)
        rep = json.load(open(report))
        linear = rep["total_bytes"]
        fmt.update({
            "weight_bytes": linear + emb_bytes + norm_bytes,
            "read_bytes_per_token": linear + emb_row + norm_bytes,
            "linear_bytes": linear,
            "bits_per_weight": rep.get("bits_per_weight"),
            "binary_bytes": os.path.getsize(exe),
            "compile_s": compile_s, "compile_peak_rss_mb": compile_rss})
        config.setdefault("quantc", rep.get("producer"))
        log(f"quantc {variant}: {compile_s:.1f} s, peak {compile_rss:.0f} MB, "
            f"binary {fmt['binary_bytes'] / 1e6:.1f} MB, weights read per "
            f"token {fmt['read_bytes_per_token'] / 1e6:.1f} MB")
        try:
            for t in threads:
                best = None
                for i in range(a.runs):
                    odir = os.path.join(work, f"out-{variant}-{t}")
                    t0 = time.monotonic()
                    r = run([exe, "--generate", "--prompt-ids", prompt_npy,
                             "--max-new-tokens", str(a.new_tokens),
                             "--output-dir", odir, "--time", "--threads", str(t)])
                    wall = 1e3 * (time.monotonic() - t0)
                    tm = json.loads(r.stderr.strip().splitlines()[-1])
                    toks = np.load(os.path.join(odir, "tokens.npy"))[0].tolist()
                    key = (variant, t)
                    if key in tokens and tokens[key] != toks:
                        raise Failed(f"{variant} t{t}: tokens differ between runs")
                    tokens[key] = toks
                    if best is None:
                        best = dict(tm, process_ms=wall)
                    else:
                        best["prefill_ms"] = min(best["prefill_ms"], tm["prefill_ms"])
                        best["decode_ms_per_token"] = min(
                            best["decode_ms_per_token"], tm["decode_ms_per_token"])
                        best["peak_rss_mb"] = max(best["peak_rss_mb"],
                                                  tm["peak_rss_mb"])
                        best["process_ms"] = min(best["process_ms"], wall)
                ms = best["decode_ms_per_token"]
                results.append({
                    "variant": variant, "engine": "quantc", "threads": t,
                    "prefill_ms": round(best["prefill_ms"], 3),
                    "prefill_tokens_per_s": round(1e3 * a.prompt_tokens /
                                                  best["prefill_ms"], 2),
                    "decode_ms_per_token": round(ms, 4),
                    "decode_tokens_per_s": round(1e3 / ms, 2),
                    "peak_rss_mb": best["peak_rss_mb"],
                    "process_ms": round(best["process_ms"], 1)})
                log(f"quantc {variant} t{t}: decode {1e3 / ms:.2f} tok/s, "
                    f"prefill {results[-1]['prefill_tokens_per_s']:.1f} tok/s, "
                    f"peak {best['peak_rss_mb']:.0f} MB")
        finally:
            os.remove(exe)

    for variant in formats:
        try:
            quantc(variant)
        except Failed as e:
            formats_out[-1]["error"] = str(e)
            log(f"quantc {variant}: FAILED: {e}")

    # 4. ONNX Runtime on the same ONNX file and its MatMulNBits copy.
    if not a.no_ort:
        env = dict(os.environ, NODE_PATH=a.ort)
        for variant, path in (("ort-fp32", model), ("ort-int4", nbits)):
            total, read = onnx_weight_bytes(path, emb_name)
            fmt = {"variant": variant, "engine": "ort",
                   "flags": "MatMul" if variant == "ort-fp32" else
                   "MatMulNBits bits 4 block 128 accuracy_level 4, asymmetric",
                   "weight_bytes": total, "read_bytes_per_token": read,
                   "model_bytes": size(path)}
            formats_out.append(fmt)
            for t in threads:
                log(f"{variant} t{t}: generating")
                try:
                    r = run(["node", os.path.join(HERE, "src", "ort_generate_time.js"),
                             path, prompt_bin, str(a.prompt_tokens),
                             str(a.new_tokens), str(t), str(cfg["n_kv_head"]),
                             str(head_dim), str(a.ort_runs)], env=env)
                except Failed as e:
                    fmt.setdefault("error", {})[str(t)] = str(e)
                    log(f"{variant} t{t}: FAILED: {e}")
                    continue
                o = json.loads(r.stdout.strip().splitlines()[-1])
                tokens[(variant, t)] = o["tokens"]
                fmt.setdefault("load_ms", {})[str(t)] = o["load_ms"]
                results.append({
                    "variant": variant, "engine": "ort", "threads": t,
                    "prefill_ms": o["prefill_ms"],
                    "prefill_tokens_per_s": o["prefill_tokens_per_s"],
                    "decode_ms_per_token": o["decode_ms_per_token"],
                    "decode_tokens_per_s": o["decode_tokens_per_s"],
                    "peak_rss_mb": o["peak_rss_mb"],
                    "min_top2_margin": o["min_top2_margin"]})
                log(f"{variant} t{t}: decode {o['decode_tokens_per_s']:.2f} "
                    f"tok/s, prefill {o['prefill_tokens_per_s']:.1f} tok/s, "
                    f"peak {o['peak_rss_mb']:.0f} MB")

    # 5. Limits and ratios.
    by_variant = {f["variant"]: f for f in formats_out}
    speed = {(r["variant"], r["threads"]): r["decode_tokens_per_s"]
             for r in results}
    for r in results:
        f = by_variant[r["variant"]]
        bw = machine["read_gb_per_s"]["dram"][str(r["threads"])]
        limit = bw * 1e9 / f["read_bytes_per_token"]
        r["limit_tokens_per_s"] = round(limit, 2)
        r["of_limit"] = round(r["decode_tokens_per_s"] / limit, 3)
        if "llc_mb" in machine:
            r["weights_fit_in_llc"] = (f["read_bytes_per_token"] <
                                       machine["llc_mb"] * 2**20)
        if r["engine"] == "quantc":
            for key, ref in (("vs_ort_fp32", "ort-fp32"), ("vs_ort_int4", "ort-int4")):
                if (ref, r["threads"]) in speed:
                    r[key] = round(r["decode_tokens_per_s"] /
                                   speed[(ref, r["threads"])], 3)
        ref = tokens.get(("fp32", r["threads"]))
        mine = tokens.get((r["variant"], r["threads"]))
        if ref and mine:
            r["tokens_equal_fp32"] = sum(x == y for x, y in zip(ref, mine))

    sanity = {}
    t1 = threads[0]
    if ("fp32", t1) in tokens and ("ort-fp32", t1) in tokens:
        q, o = tokens[("fp32", t1)], tokens[("ort-fp32", t1)]
        same = sum(x == y for x, y in zip(q, o))
        first = next((i for i, (x, y) in enumerate(zip(q, o)) if x != y), None)
        sanity = {
            "quantc_fp32_equals_ort_fp32": q == o,
            "tokens_compared": len(q), "tokens_equal": same,
            "first_difference": first,
            "ort_fp32_min_top2_margin": next(
                r["min_top2_margin"] for r in results
                if r["variant"] == "ort-fp32" and r["threads"] == t1),
            "threads": t1,
            "same_tokens_on_every_thread_count": all(
                tokens[(v, t)] == tokens[(v, t1)] for v in ("fp32", "ort-fp32")
                for t in threads),
        }
        log(f"sanity: quantc FP32 greedy tokens {'==' if q == o else '!='} "
            f"ORT FP32's ({same}/{len(q)} equal)")
    else:
        sanity = {"quantc_fp32_equals_ort_fp32": None,
                  "why": "no quantc fp32 or ORT fp32 row"}
    machine["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    doc = {"machine": machine, "config": config, "build": build,
           "formats": formats_out, "results": results, "sanity": sanity,
           "tokens": {f"{v}/{t}": tk for (v, t), tk in tokens.items()
                      if t == t1},
           "elapsed_s": round(time.monotonic() - t_start, 1),
           "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    try:
        doc["commit"] = run(["git", "-C", ROOT, "rev-parse", "--short",
                             "HEAD"]).stdout.strip()
    except (OSError, Failed):
        pass
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
    log(f"wrote {a.out} ({doc['elapsed_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failed as e:
        sys.exit(f"generate-speed: failed: {e}")
