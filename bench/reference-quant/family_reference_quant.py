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
import family_model as fm  # noqa: E402

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
# Quantizer (GPTQ quant.py: asymmetric, per output row)
# ============================================================================

def quantize(x, scale, zero, maxq):
    q = torch.clamp(torch.round(x / scale) + zero, 0, maxq)
    return scale * (q - zero)


class Quantizer:
    """quant.py Quantizer, configured as llama.py does for weights:
    perchannel=True, sym=False, mse=False."""

    def __init__(self, bits):
        self.maxq = torch.tensor(2 ** bits - 1)
        self.scale = torch.zeros(1)
        self.zero = torch.zeros(1)

    def find_params(self, x):
        x = x.flatten(1)
        tmp = torch.zeros(x.shape[0])
        xmin = torch.minimum(x.min(1)[0], tmp)
        xmax = torch.maximum(x.max(1)[0], tmp)
        tmp = (xmin == 0) & (xmax == 0)
        xmin[tmp] = -1
        xmax[tmp] = +1
        self.scale = ((xmax - xmin) / self.maxq).reshape(-1, 1)
        self.zero = torch.round(-xmin.reshape(-1, 1) / self.scale)

    def ready(self):
        return bool(torch.all(self.scale != 0))


def pseudo_quantize(w, bits, group):
    """RTN of a weight [out, in] (or any [..., in]) per group of `group`
    consecutive input channels (0: the whole last dim)."""
    shape = w.shape
    gs = group if group > 0 else shape[-1]
    assert shape[-1] % gs == 0
    x = w.reshape(-1, gs)
    q = Quantizer(bits)
    q.find_params(x)
    return quantize(x, q.scale, q.zero, q.maxq).reshape(shape)


def layer_linears(layer):
    return {n: layer.get_submodule(n) for n in fm.LINEAR_NAMES}


# ============================================================================
# Calibration plumbing
# ============================================================================

@torch.no_grad()
def first_layer_inputs(model, calib):
    """What the authors' Catcher captures: the hidden states entering layer 0,
    and the layer kwargs (RoPE cos/sin, causal mask)."""
    x = torch.as_tensor(calib, dtype=torch.long)
    cos, sin, mask = model.rope_mask(x.shape[1])
    return model.embed_tokens(x), (cos, sin, mask)


# ============================================================================
# RTN
# ============================================================================

@torch.no_grad()
def run_rtn(model, calib, bits, group):
    for layer in model.layers:
        for _, lin in layer_linears(layer).items():
            lin.weight.data = pseudo_quantize(lin.weight.data, bits, group)
    return {}


# ============================================================================
# GPTQ (gptq.py)
# ============================================================================

class GPTQ:
    def __init__(self, layer):
        self.layer = layer
        W = layer.weight.data
        self.rows, self.columns = W.shape
        self.H = torch.zeros((self.columns, self.columns))
        self.nsamples = 0

    def add_batch(self, inp):
        if len(inp.shape) == 2:
            inp = inp.unsqueeze(0)
        tmp = inp.shape[0]
        if len(inp.shape) == 3:
            inp = inp.reshape((-1, inp.shape[-1]))
        inp = inp.t()
        self.H *= self.nsamples / (self.nsamples + tmp)
        self.nsamples += tmp
        inp = math.sqrt(2 / self.nsamples) * inp.float()
        self.H += inp.matmul(inp.t())

    def fasterquant(self, blocksize=128, percdamp=.01, groupsize=-1, actorder=False,
                    static_groups=False):
        W = self.layer.weight.data.clone().float()
        if not self.quantizer.ready():
            self.quantizer.find_params(W)
        H = self.H
        del self.H
        dead = torch.diag(H) == 0
        H[dead, dead] = 1
        W[:, dead] = 0

        if static_groups:
            groups = []
            for i in range(0, self.columns, groupsize):
                quantizer = copy.deepcopy(self.quantizer)
                quantizer.find_params(W[:, i:(i + groupsize)])
                groups.append(quantizer)

        if actorder:
            perm = torch.argsort(torch.diag(H), descending=True)
            W = W[:, perm]
            H = H[perm][:, perm]
            invperm = torch.argsort(perm)

        Losses = torch.zeros_like(W)
        Q = torch.zeros_like(W)

        damp = percdamp * torch.mean(torch.diag(H))
        diag = torch.arange(self.columns)
        H[diag, diag] += damp
        H = torch.linalg.cholesky(H)
        H = torch.cholesky_inverse(H)
        H = torch.linalg.cholesky(H, upper=True)
        Hinv = H

        for i1 in range(0, self.columns, blocksize):
            i2 = min(i1 + blocksize, self.columns)
            count = i2 - i1
            W1 = W[:, i1:i2].clone()
            Q1 = torch.zeros_like(W1)
            Err1 = torch.zeros_like(W1)
            Losses1 = torch.zeros_like(W1)
            Hinv1 = Hinv[i1:i2, i1:i2]
            for i in range(count):
                w = W1[:, i]
                d = Hinv1[i, i]
                if groupsize != -1:
                    if not static_groups:
                        # as the authors: parameters from the not yet
                        # quantized columns of W (lazy-batch updates of
                        # earlier blocks applied, this block's not)
                        if (i1 + i) % groupsize == 0:
                            self.quantizer.find_params(W[:, (i1 + i):(i1 + i + groupsize)])
                    else:
                        idx = i1 + i
                        if actorder:
                            idx = perm[idx]
                        self.quantizer = groups[idx // groupsize]
                q = quantize(w.unsqueeze(1), self.quantizer.scale, self.quantizer.zero,
                             self.quantizer.maxq).flatten()
                Q1[:, i] = q
                Losses1[:, i] = (w - q) ** 2 / d ** 2
                err1 = (w - q) / d
                W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
                Err1[:, i] = err1
            Q[:, i1:i2] = Q1
            Losses[:, i1:i2] = Losses1 / 2
            W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])

        if actorder:
            Q = Q[:, invperm]
        self.layer.weight.data = Q.reshape(self.layer.weight.shape).to(self.layer.weight.data.dtype)
        return float(torch.sum(Losses))


GPTQ_SEQUENTIAL = [
    ["self_attn.k_proj", "self_attn.v_proj", "self_attn.q_proj"],
    ["self_attn.o_proj"],
    ["mlp.up_proj", "mlp.gate_proj"],
    ["mlp.down_proj"],
]


@torch.no_grad()
def run_gptq(model, calib, bits, group, actorder=False, static_groups=False,
             blocksize=128, percdamp=0.01):
    """llama.py llama_sequential with --true-sequential."""
    inps, kw = first_layer_inputs(model, calib)
    nsamples = inps.shape[0]
    outs = torch.zeros_like(inps)
    groupsize = group if group > 0 else -1
    errors = {}
    for li, layer in enumerate(model.layers):
        full = layer_linears(layer)
        for names in GPTQ_SEQUENTIAL:
            subset = {n: full[n] for n in names}
            gptq = {}
            for name in subset:
                gptq[name] = GPTQ(subset[name])
                gptq[name].quantizer = Quantizer(bits)

            def add_batch(name):
                def tmp(_, inp, out):
                    gptq[name].add_batch(inp[0].data)
                return tmp
            handles = [subset[n].register_forward_hook(add_batch(n)) for n in subset]
            for j in range(nsamples):
                outs[j] = layer(inps[j].unsqueeze(0), *kw)[0]
            for h in handles:
                h.remove()
            for name in subset:
                errors[f"layers.{li}.{name}"] = gptq[name].fasterquant(
                    blocksize=blocksize, percdamp=percdamp, groupsize=groupsize,
                    actorder=actorder, static_groups=static_groups)
                del gptq[name]
        for j in range(nsamples):
            outs[j] = layer(inps[j].unsqueeze(0), *kw)[0]
        inps, outs = outs, inps
    return {"gptq_error_sum": errors}


# ============================================================================
# AWQ (auto_scale.py, auto_clip.py, pre_quant.py)
# ============================================================================

def get_act_scale(x):
    return x.abs().view(-1, x.shape[-1]).mean(0)


@torch.no_grad()
def scale_ln_fcs(ln, fcs, scales):
    ln.weight.div_(scales)
    for fc in fcs:
        fc.weight.mul_(scales.view(1, -1))


@torch.no_grad()
def scale_fc_fc(fc1, fc2, scales):
    fc1.weight[-scales.size(0):].div_(scales.view(-1, 1))
    if fc1.bias is not None:
        fc1.bias.div_(scales.view(-1))
    fc2.weight.mul_(scales.view(1, -1))


@torch.no_grad()
def auto_scale_block(layer, kw, bits, group, input_feat):
    def w_quantize_func(p):
        return pseudo_quantize(p, bits, group).detach()

    def _search_module_scale(block, linears2scale, x, args=()):
        org_out = block(x, *args)
        x_max = get_act_scale(x)
        best_error, best_ratio, best_scales = float("inf"), -1, None
        n_grid = 20
        history = []
        org_sd = {k: v.clone() for k, v in block.state_dict().items()}
        for ratio in range(n_grid):
            ratio = ratio * 1 / n_grid
            scales = x_max.pow(ratio).clamp(min=1e-4).view(-1)
            scales = scales / (scales.max() * scales.min()).sqrt()
            for fc in linears2scale:
                fc.weight.mul_(scales.view(1, -1))
                fc.weight.data = w_quantize_func(fc.weight.data) / (scales.view(1, -1))
            out = block(x, *args)
            loss = (org_out - out).float().pow(2).mean().item()
            history.append(loss)
            if loss < best_error:
                best_error, best_ratio, best_scales = loss, ratio, scales
            block.load_state_dict(org_sd)
        assert best_ratio != -1, history
        return best_scales.view(-1).detach(), best_ratio, history

    att, mlp = layer.self_attn, layer.mlp
    scales_list, info = [], []

    def add(prev_name, prev, names, mods, inp, block=None, args=()):
        if block is None:
            assert len(mods) == 1
            block = mods[0]
        s, ratio, hist = _search_module_scale(block, mods, inp, args)
        scales_list.append((prev_name, prev, names, mods, s))
        info.append({"prev_op": prev_name, "layers": names, "best_ratio": ratio,
                     "loss_ratio0": hist[0], "loss_best": min(hist)})

    # attention input
    add("input_layernorm", layer.input_layernorm,
        ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"],
        [att.q_proj, att.k_proj, att.v_proj], input_feat["self_attn.q_proj"], block=att, args=kw)
    # attn out: only when v_proj and o_proj have the same shape (not with GQA)
    if att.v_proj.weight.shape == att.o_proj.weight.shape:
        add("self_attn.v_proj", att.v_proj, ["self_attn.o_proj"], [att.o_proj],
            input_feat["self_attn.o_proj"])
    else:
        info.append({"prev_op": "self_attn.v_proj", "layers": ["self_attn.o_proj"],
                     "skipped": "v_proj weight %s != o_proj weight %s (GQA)" % (
                         list(att.v_proj.weight.shape), list(att.o_proj.weight.shape))})
    # fc1
    add("post_attention_layernorm", layer.post_attention_layernorm,
        ["mlp.gate_proj", "mlp.up_proj"], [mlp.gate_proj, mlp.up_proj],
        input_feat["mlp.gate_proj"], block=mlp)
    # fc2
    add("mlp.up_proj", mlp.up_proj, ["mlp.down_proj"], [mlp.down_proj],
        input_feat["mlp.down_proj"])
    return scales_list, info


@torch.no_grad()
def apply_scale(scales_list, input_feat):
    for prev_name, prev, names, mods, scales in scales_list:
        if isinstance(prev, nn.Linear):
            assert len(mods) == 1
            scale_fc_fc(prev, mods[0], scales)
        elif isinstance(prev, fm.RMSNorm):
            scale_ln_fcs(prev, mods, scales)
        else:
            raise NotImplementedError(type(prev))
        for n in names:
            input_feat[n].div_(scales.view(1, -1))


@torch.no_grad()
def auto_clip_layer(w, input_feat, bits, group, n_grid=20, max_shrink=0.5, n_sample_token=512):
    assert w.dim() == 2
    group_size = group if group > 0 else w.shape[1]
    input_feat = input_feat.view(-1, input_feat.shape[-1])
    input_feat = input_feat.reshape(1, input_feat.shape[0], -1, group_size)
    input_feat = input_feat[:, 0::input_feat.shape[1] // n_sample_token]
    w = w.reshape(w.shape[0], 1, -1, group_size)
    # The authors batch output channels by 256 or 64 (memory only; rows are
    # independent). v_proj/k_proj have 32 rows here: take all rows at once.
    oc_batch_size = 256 if w.shape[0] % 256 == 0 else (64 if w.shape[0] % 64 == 0 else w.shape[0])
    w_all = w
    best_max_val_all = []
    for i_b in range(w.shape[0] // oc_batch_size):
        w = w_all[i_b * oc_batch_size:(i_b + 1) * oc_batch_size]
        org_max_val = w.abs().amax(dim=-1, keepdim=True)
        best_max_val = org_max_val.clone()
        min_errs = torch.ones_like(org_max_val) * 1e9
        org_out = (input_feat * w).sum(dim=-1)
        for i_s in range(int(max_shrink * n_grid)):
            max_val = org_max_val * (1 - i_s / n_grid)
            min_val = -max_val
            cur_w = torch.clamp(w, min_val, max_val)
            q_w = pseudo_quantize(cur_w, bits, group_size)
            cur_out = (input_feat * q_w).sum(dim=-1)
            err = (cur_out - org_out).pow(2).mean(dim=1).view(min_errs.shape)
            cur_best_idx = err < min_errs
            min_errs[cur_best_idx] = err[cur_best_idx]
            best_max_val[cur_best_idx] = max_val[cur_best_idx]
        best_max_val_all.append(best_max_val)
    return torch.cat(best_max_val_all, dim=0).squeeze(1)


@torch.no_grad()
def auto_clip_block(layer, bits, group, input_feat):
    clip_list = []
    for name, lin in layer_linears(layer).items():
        if any(s in name for s in ["q_", "k_", "query", "key", "Wqkv"]):
            continue
        clip_list.append((name, lin, auto_clip_layer(lin.weight, input_feat[name], bits, group)))
    return clip_list


@torch.no_grad()
def apply_clip(clip_list):
    info = {}
    for name, lin, max_val in clip_list:
        org_shape = lin.weight.shape
        w = lin.weight.data.reshape(*max_val.shape[:2], -1)
        shrink = (max_val / w.abs().amax(-1, keepdim=True)).clamp(max=1)
        lin.weight.data = torch.clamp(w, -max_val, max_val).reshape(org_shape)
        info[name] = float(shrink.mean())
    return info


@torch.no_grad()
def run_awq(model, calib, bits, group):
    """pre_quant.py run_awq (auto_scale + mse_range clip), then
    pseudo_quantize_model_weight. As the authors: each layer's input features
    are taken from the FP (unmodified) previous layers' outputs."""
    inps, kw = first_layer_inputs(model, calib)
    details = []
    for li, layer in enumerate(model.layers):
        named = layer_linears(layer)
        feats = {n: [] for n in named}

        def hook(name):
            def tmp(m, x, y):
                feats[name].append(x[0].detach().clone())
            return tmp
        handles = [named[n].register_forward_hook(hook(n)) for n in named]
        inps = layer(inps, *kw)
        for h in handles:
            h.remove()
        input_feat = {k: torch.cat(v, dim=0) for k, v in feats.items()}
        scales_list, sinfo = auto_scale_block(layer, kw, bits, group, input_feat)
        apply_scale(scales_list, input_feat)
        clip_list = auto_clip_block(layer, bits, group, input_feat)
        cinfo = apply_clip(clip_list)
        details.append({"layer": li, "scale": sinfo, "clip_mean_max_ratio": cinfo})
    run_rtn(model, calib, bits, group)
    return {"awq": details}


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
