"""Reference weight-only quantization of the llama-family models with the
GPTQ and AWQ authors' algorithms (simulated quantization in FP32 PyTorch).

usage: /usr/bin/python3 bench/reference-quant/family_reference_quant.py
           [--arch llama qwen2] [--only SUBSTRING ...] [--source onnx|state_dict]

Reimplemented from the authors' code, adapted to scripts/family/family_model.py:
  GPTQ  IST-DASLab/gptq @2d65066: quant.py `Quantizer`/`quantize`, gptq.py
        `GPTQ.add_batch`/`fasterquant`, llama.py `llama_sequential` with
        --true-sequential (sub-groups [k,v,q], [o], [up,gate], [down]).
  AWQ   mit-han-lab/llm-awq @d6e797a: pre_quant.py `run_awq`, auto_scale.py
        `auto_scale_block` (LlamaDecoderLayer/Qwen2DecoderLayer branch),
        `_search_module_scale`, `apply_scale`; auto_clip.py `auto_clip_block`,
        `auto_clip_layer`, `apply_clip`; quantizer.py `pseudo_quantize_model_weight`.

Setup (as examples/tinygpt-shakespeare/REFERENCE-QUANT.md):
  quantizer  asymmetric uniform, q = clamp(round(w/s) + z, 0, 2^b - 1),
             w' = s (q - z), s = (max - min)/(2^b - 1), z = round(-min/s), per
             group of g input channels of each weight row (g = 0: whole row).
             min and max are those of GPTQ's Quantizer.find_params: min clamped
             to <= 0, max to >= 0 (the range always contains 0, so z is in
             [0, 2^b - 1]); all-zero rows get [-1, 1]. The same function is used
             for RTN, GPTQ and AWQ (AWQ's own pseudo_quantize_tensor uses the
             unclamped min/max; see the report for how often that differs).
  layers     the 28 q/k/v/o/gate/up/down Linears of the 4 decoder layers;
             embedding, RMSNorms, biases and lm_head stay FP32.
  calib      calib.npy [128,128] (128 windows); eval: eval.npy [64,128],
             mean NLL of targets t+1 from positions 0..126 (8,128 predictions).
Weights come from model-opset17.onnx (initializers mapped back to parameters
through the consuming node names), so the numbers follow from repo files.
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import copy
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts", "family"))
sys.path.insert(0, HERE)
import family_model as fm  # noqa: E402
from reference_awq import run_awq  # noqa: E402
from reference_gptq import layer_linears, run_gptq, run_rtn  # noqa: E402

torch.set_num_threads(1)


# ============================================================================
# Model loading (from the ONNX export)
# ============================================================================

def load_from_onnx(arch, path):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    g = m.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    itos, _ = fm.load_vocab(os.path.join(fm.model_dir(arch), "vocab.json"))
    model = fm.build_model(arch, len(itos))
    sd = model.state_dict()
    new = {}
    # 1. initializers that keep their parameter name (embedding, norms, biases)
    for k in sd:
        if k in inits:
            new[k] = torch.from_numpy(inits[k].copy())
    # 2. pre-transposed MatMul weights: `/layers.0/self_attn/q_proj/MatMul`
    #    reads an initializer [in, out] = layers.0.self_attn.q_proj.weight^T
    for n in g.node:
        if n.op_type != "MatMul" or n.input[1] not in inits:
            continue
        parts = n.name.strip("/").split("/")
        assert parts[-1].startswith("MatMul"), n.name
        key = ".".join(parts[:-1]) + ".weight"
        assert key in sd, (n.name, key)
        new[key] = torch.from_numpy(inits[n.input[1]].T.copy())
    if model.tied:
        # the head reads Transpose(embed_tokens.weight): nothing of its own
        assert "lm_head.weight" not in new
        new["lm_head.weight"] = new["embed_tokens.weight"]
    missing = set(sd) - set(new)
    assert not missing, missing
    for k in sd:
        assert tuple(new[k].shape) == tuple(sd[k].shape), (k, new[k].shape, sd[k].shape)
    model.load_state_dict(new)
    if model.tied:
        assert model.lm_head.weight is model.embed_tokens.weight
    model.eval()
    return model


def load_model(arch, source):
    d = fm.model_dir(arch)
    if source == "onnx":
        model = load_from_onnx(arch, os.path.join(d, "model-opset17.onnx"))
    else:
        itos, _ = fm.load_vocab(os.path.join(d, "vocab.json"))
        model = fm.build_model(arch, len(itos))
        model.load_state_dict(torch.load(fm.weights_path(arch), map_location="cpu"))
        model.eval()
    ev = np.load(os.path.join(d, "eval.npy"))
    ref = np.load(os.path.join(d, "ref_logits.npy"))
    with torch.no_grad():
        out = np.stack([model(torch.as_tensor(ev[i:i + 1]))[0].numpy() for i in range(4)])
    diff = float(np.abs(out - ref).max())
    assert diff <= 1e-5, f"loaded model differs from ref_logits.npy by {diff}"
    return model, diff


# ============================================================================
# Driver
# ============================================================================

def config_list():
    cfgs = []
    for bits, g in [(4, 64), (3, 64), (4, 128)]:
        w = f"W{bits} g{g}"
        cfgs += [(w, "RTN", bits, g, "rtn", {}),
                 (w, "GPTQ", bits, g, "gptq", {}),
                 (w, "GPTQ act-order, static groups", bits, g, "gptq", {"actorder": True, "static_groups": True}),
                 (w, "GPTQ act-order, permuted groups (g_idx)", bits, g, "gptq", {"actorder": True}),
                 (w, "AWQ (scale+clip)", bits, g, "awq", {})]
    cfgs += [("W2 g64", "RTN", 2, 64, "rtn", {}),
             ("W2 g64", "GPTQ", 2, 64, "gptq", {}),
             ("W4 per-channel", "RTN", 4, 0, "rtn", {}),
             ("W4 per-channel", "GPTQ", 4, 0, "gptq", {})]
    return cfgs


RUNNERS = {"rtn": run_rtn, "gptq": run_gptq, "awq": run_awq}


def count_unclamped_groups(model, bits_groups):
    """Groups whose min > 0 or max < 0, where AWQ's own pseudo_quantize_tensor
    (no clamp of the range to contain 0) would differ from GPTQ's Quantizer."""
    out = {}
    for g in bits_groups:
        n = tot = 0
        for layer in model.layers:
            for lin in layer_linears(layer).values():
                w = lin.weight.data
                x = w.reshape(-1, g if g > 0 else w.shape[1])
                n += int(((x.min(1)[0] > 0) | (x.max(1)[0] < 0)).sum())
                tot += x.shape[0]
        out[f"g{g}" if g else "per-channel"] = {"groups": tot, "not_containing_zero": n}
    return out


def run_arch(arch, source, only):
    d = fm.model_dir(arch)
    calib = np.load(os.path.join(d, "calib.npy"))
    ev = np.load(os.path.join(d, "eval.npy"))
    base, load_diff = load_model(arch, source)
    fp = fm.eval_nll(base, ev)
    print(f"== {arch}: FP32 {fp:.4f} nats/char (weights from {source}, "
          f"max |logits - ref| {load_diff:.2g})", flush=True)
    rows = [{"weights": "FP32", "method": "-", "nll": fp, "ppl": math.exp(fp), "delta": 0.0,
             "time_s": None}]
    for wname, method, bits, g, kind, kw in config_list():
        label = f"{wname} {method}"
        if only and not any(s in label for s in only):
            continue
        model = copy.deepcopy(base)
        t0 = time.time()
        extra = RUNNERS[kind](model, calib, bits, g, **kw)
        dt = time.time() - t0
        nll = fm.eval_nll(model, ev)
        row = {"weights": wname, "method": method, "bits": bits, "group": g,
               "nll": nll, "ppl": math.exp(nll), "delta": nll - fp, "time_s": dt}
        if extra:
            row["details"] = extra
        rows.append(row)
        print(f"{wname:16s} {method:42s} {nll:.4f} ppl {math.exp(nll):.3f} "
              f"d {nll - fp:+.4f} {dt:6.1f} s", flush=True)
    res = {
        "model": f"examples/llama-family/{arch}",
        "weights_source": "model-opset17.onnx initializers" if source == "onnx" else "state_dict",
        "load_max_abs_diff_vs_ref_logits": load_diff,
        "fp32_nll": fp,
        "params": fm.param_count(base),
        "quantized_layers": [f"layers.{i}.{n}" for i in range(len(base.layers)) for n in fm.LINEAR_NAMES],
        "range_check": count_unclamped_groups(base, [64, 128, 0]),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "rows": rows,
    }
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    out = os.path.join(HERE, "results", f"{arch}.json")
    if only and os.path.exists(out):
        # merge a partial rerun into the existing results
        prev = json.load(open(out))
        keep = {(r["weights"], r["method"]): r for r in prev["rows"]}
        for r in rows:
            keep[(r["weights"], r["method"])] = r
        order = [("FP32", "-")] + [(c[0], c[1]) for c in config_list()]
        res["rows"] = [keep[k] for k in order if k in keep]
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    return res


def fmt_time(t):
    return "-" if t is None else f"{t:.1f}"


def write_markdown():
    lines = [
        "# llama-family — reference weight-only quantization numbers",
        "",
        "What the authors' algorithms reach on the llama-family test models "
        "(`examples/llama-family/{llama,qwen2}`), for quantc's passes to match or beat. "
        "Produced by `bench/reference-quant/family_reference_quant.py` "
        "(`/usr/bin/python3 bench/reference-quant/family_reference_quant.py`); raw numbers and "
        "per-layer details (AWQ ratios, GPTQ errors) in `results/<model>.json`.",
        "",
        "- Metric: mean next-character NLL on `eval.npy` (64 windows x 128 tokens, targets t+1 "
        "from positions 0..126, 8,128 predictions), nats/char and perplexity; calibration "
        "`calib.npy` (128 training windows x 128 tokens). Simulated weight-only quantization in "
        "FP32 PyTorch 1.13; weights read from `model-opset17.onnx`.",
        "- Quantizer (all methods): asymmetric uniform, q = clamp(round(w/s) + z, 0, 2^b - 1), "
        "w' = s(q - z), s = (max - min)/(2^b - 1), z = round(-min/s), along the input dimension "
        "of each weight row, per group of g consecutive input channels (g64/g128) or per whole "
        "row (per-channel). As GPTQ's `Quantizer.find_params`: min clamped to <= 0 and max to "
        ">= 0 (the grid always holds 0); an all-zero row gets [-1, 1].",
        "- Quantized layers: the 28 Linears of the 4 decoder layers (q/k/v/o_proj, "
        "gate/up/down_proj). Embedding, RMSNorms, q/k/v biases (qwen2) and lm_head stay FP32 "
        "(qwen2's head is the tied embedding).",
        "- RTN: the quantizer above.",
        "- GPTQ: reimplementation of IST-DASLab/gptq @2d65066 (`GPTQ.fasterquant`, "
        "`llama_sequential` with `--true-sequential`: per decoder layer, sub-groups "
        "[k,v,q] -> [o] -> [up,gate] -> [down], each group's Hessians from the layer's inputs "
        "as produced by the already-quantized layers 0..i-1 and the already-quantized groups "
        "before it), blocksize 128, percdamp 0.01. \"act-order, static groups\": `--act-order "
        "--static-groups` (columns in descending diag(H) order, group parameters fixed up front "
        "on the unpermuted weight: plain contiguous-group format). \"act-order, permuted groups\": "
        "`--act-order` alone (groups follow the permuted order; deployment needs g_idx).",
        "- AWQ: reimplementation of mit-han-lab/llm-awq @d6e797a (`run_awq`, "
        "`auto_scale_block` LLaMA/Qwen2 branch, `auto_clip_block`): per layer, scale search "
        "(grid of 20, s = mean|x|^a, a = 0, 0.05, ..., 0.95, normalised by sqrt(max s * min s)) "
        "for input_layernorm -> q,k,v (loss on the attention output), post_attention_layernorm "
        "-> gate,up (loss on the MLP output), up_proj -> down_proj; the v_proj -> o_proj scale "
        "is skipped because with GQA v_proj [32,128] and o_proj [128,128] differ in shape "
        "(the authors' own shape check). Then clip search (max_shrink 0.5 on a 20-point grid: "
        "shrink 0, 0.05, ..., 0.45; 512 sampled tokens) on v/o/gate/up/down (not q/k). As in "
        "`run_awq`, each layer's calibration inputs are the outputs of the FP (unscaled, "
        "unclipped) previous layers; the RTN quantizer then runs on the scaled and clipped "
        "weights. All scales fold into RMSNorm weights or up_proj rows: no extra ops.",
        "- Differences under about 0.003 nats are within the noise of 8,128 predictions.",
        "- Time: wall seconds of the quantization procedure (calibration forward passes "
        "included, evaluation excluded), 1 CPU thread on a shared 2-core machine.",
        "",
    ]
    for arch in sorted(fm.CONFIGS):
        p = os.path.join(HERE, "results", f"{arch}.json")
        if not os.path.exists(p):
            continue
        r = json.load(open(p))
        meta_p = os.path.join(fm.model_dir(arch), "meta.json")
        meta = json.load(open(meta_p)) if os.path.exists(meta_p) else {}
        cfg = meta.get("config", {})
        lines.append(f"## {arch}")
        lines.append("")
        desc = (f"{r['params']:,} params; d {cfg.get('d_model')}, {cfg.get('n_layer')} layers, "
                f"{cfg.get('n_head')} query / {cfg.get('n_kv_head')} KV heads, FFN {cfg.get('ffn')}, "
                f"vocab {cfg.get('vocab')}, "
                + ("q/k/v bias, tied LM head, RMSNorm eps 1e-6." if cfg.get("tie_embeddings")
                   else "no biases, untied LM head, RMSNorm eps 1e-5."))
        lines.append(desc + f" FP32 test NLL {r['fp32_nll']:.4f} nats/char (ppl {math.exp(r['fp32_nll']):.3f}).")
        lines.append("")
        lines.append("| weights | method | nats/char | ppl | Δ nats | time s |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for row in r["rows"]:
            nll = f"**{row['nll']:.4f}**" if row["weights"] == "FP32" else f"{row['nll']:.4f}"
            delta = "0" if row["weights"] == "FP32" else f"{row['delta']:+.4f}"
            lines.append(f"| {row['weights']} | {row['method']} | {nll} | {row['ppl']:.3f} | "
                         f"{delta} | {fmt_time(row['time_s'])} |")
        lines.append("")
        rc = r.get("range_check", {})
        if rc:
            lines.append("Weight groups whose range does not contain 0 (where AWQ's own "
                         "`pseudo_quantize_tensor`, which does not clamp min/max to 0, would differ): "
                         + ", ".join(f"{k}: {v['not_containing_zero']} of {v['groups']}"
                                     for k, v in rc.items()) + ".")
            lines.append("")
    with open(os.path.join(HERE, "REFERENCE-FAMILY.md"), "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", nargs="*", default=["llama", "qwen2"])
    ap.add_argument("--only", nargs="*", default=None,
                    help="run only configs whose 'weights method' label contains one of these")
    ap.add_argument("--source", choices=["onnx", "state_dict"], default="onnx")
    ap.add_argument("--markdown-only", action="store_true")
    args = ap.parse_args()
    if not args.markdown_only:
        for arch in args.arch:
            run_arch(arch, args.source, args.only)
    write_markdown()


if __name__ == "__main__":
    main()
