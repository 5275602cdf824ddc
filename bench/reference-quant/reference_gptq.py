"""RTN and GPTQ as the authors wrote them (IST-DASLab/gptq: quant.py,
gptq.py, llama.py's sequential loop), in PyTorch, for the family models.
Used by family_reference_quant.py; see REFERENCE-FAMILY.md."""
import copy
import math

import torch
import torch.nn as nn

# family_model is on sys.path (family_reference_quant.py puts it there).
import family_model as fm


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
