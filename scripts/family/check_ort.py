"""Checks every llama-family ONNX file against the PyTorch reference with ONNX
Runtime (onnxruntime-node 1.30.0, through scripts/family/ort_logits.js).

usage: /usr/bin/python3 scripts/family/check_ort.py [--arch llama|qwen2 ...]
needs: mkdir -p /tmp/ort && cd /tmp/ort && npm install --ignore-scripts onnxruntime-node@1.30.0

For each model-opset{14,17,23}.onnx: runs all 64 eval.npy windows (each as
[1,128]); max |logits - ref_logits.npy| over windows 0..3 (must be <= 1e-4)
and the test NLL from the ORT logits. Results go into meta.json "ort_check".
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import family_model as fm  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 1e-4


def nll_from_logits(logits, windows):
    lg = logits[:, :-1].astype(np.float64)
    tgt = windows[:, 1:]
    m = lg.max(-1, keepdims=True)
    lse = np.log(np.exp(lg - m).sum(-1)) + m[..., 0]
    pick = np.take_along_axis(lg, tgt[..., None], -1)[..., 0]
    return float((lse - pick).mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", nargs="*", default=sorted(fm.CONFIGS))
    ap.add_argument("--ort-dir", default="/tmp/ort/node_modules")
    args = ap.parse_args()
    work = os.path.join(fm.WORK_DIR, "ort")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, NODE_PATH=args.ort_dir)
    ok = True
    for arch in args.arch:
        d = fm.model_dir(arch)
        ev = np.load(os.path.join(d, "eval.npy"))
        ref = np.load(os.path.join(d, "ref_logits.npy"))
        V = ref.shape[-1]
        inp = os.path.join(work, f"{arch}-eval.bin")
        ev.astype("<i8").tofile(inp)
        meta_path = os.path.join(d, "meta.json")
        meta = json.load(open(meta_path))
        results = {}
        for name in ("model-opset14.onnx", "model-opset17.onnx", "model-opset23.onnx"):
            outp = os.path.join(work, f"{arch}-{name}.bin")
            if os.path.exists(outp):
                os.remove(outp)
            r = subprocess.run(["node", os.path.join(HERE, "ort_logits.js"),
                                os.path.join(d, name), inp, outp],
                               env=env, capture_output=True, text=True)
            if r.returncode != 0:
                err = (r.stderr or r.stdout).strip().splitlines()
                results[name] = {"ok": False, "error": "\n".join(err[-6:])}
                print(f"{arch} {name}: ORT FAILED\n  " + "\n  ".join(err[-6:]))
                ok = False
                continue
            info = json.loads(r.stdout.strip().splitlines()[-1])
            lg = np.fromfile(outp, dtype="<f4").reshape(ev.shape[0], ev.shape[1], V)
            diff = float(np.abs(lg[:4] - ref).max())
            nll = nll_from_logits(lg, ev)
            good = diff <= TOL
            ok &= good
            results[name] = {"ok": good, "max_abs_diff_vs_ref_logits": diff,
                             "test_nll_ort": nll, "ms_per_window": info["ms_per_window"]}
            print(f"{arch} {name}: max|diff| {diff:.3g} (windows 0..3), ORT test NLL {nll:.5f} "
                  f"(torch {meta['fp32_test']['nll']:.5f}), {info['ms_per_window']:.1f} ms/window")
        meta["ort_check"] = {"runtime": "onnxruntime-node 1.30.0 (CPU EP, 1 thread, all graph optimizations)",
                             "tolerance": TOL, "results": results}
        with open(meta_path, "w") as f:
            json.dump(meta, f, indent=1)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
