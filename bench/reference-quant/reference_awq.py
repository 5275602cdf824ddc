"""AWQ as the authors wrote it (mit-han-lab/llm-awq: auto_scale.py,
auto_clip.py, pre_quant.py), in PyTorch, for the family models. Used by
family_reference_quant.py; see REFERENCE-FAMILY.md."""
import math

import torch
import torch.nn as nn

# family_model is on sys.path (family_reference_quant.py puts it there).
import family_model as fm

from reference_gptq import (first_layer_inputs, layer_linears,  # noqa: F401
                            pseudo_quantize, run_rtn)


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
