#!/usr/bin/env python3
"""Writes bench/generate-speed.sh's models: a LLaMA-shaped decoder with
random weights, exported with its KV cache.

usage: make_generate_models.py OUT_DIR [--small] [--d-model D] [--n-layer L]
         [--n-head H] [--n-kv-head G] [--ffn F] [--vocab V] [--seed S]
         [--no-nbits]

Defaults: TinyLlama 1.1B's shapes (d_model 2048, 22 layers, 32 query heads,
4 KV heads, FFN 5632, vocab 32000); --small: d_model 512, 4 layers, 8/2
heads, FFN 1408, vocab 4096. RoPE theta 10000, RMSNorm eps 1e-5, no biases,
untied LM head.

OUT_DIR/model-kv.onnx (+ model-kv.onnx.data)
    torch.onnx.export (opset 17) of scripts/family/kv_models.py's FamilyKV
    forward (HF KV convention: input_ids, attention_mask, position_ids,
    past_key_values.{i}.key|value -> logits, present.{i}.key|value; causal
    mask from shapes, RoPE from position_ids, GQA repeat_kv after the cache
    concat). Weights are random, seeded: N(0, 0.02), the residual output
    projections (o_proj, down_proj) N(0, 0.02 / sqrt(2 L)) as FamilyLM
    initializes them, norm weights N(1, 0.02) (all-equal norms would be
    merged into one initializer by the exporter). Every weight is ONNX external data (one file,
    tensors 4 KiB aligned): a 1.1B-parameter FP32 model is past protobuf's
    2 GB limit.
OUT_DIR/model-kv-nbits.onnx (+ model-kv-nbits.onnx.data)
    the same graph with every MatMul of a constant [K, N] weight (the seven
    per layer and the LM head) as com.microsoft::MatMulNBits, bits 4,
    block_size 128, accuracy_level 4, RTN asymmetric with zero points as
    ONNX Runtime's quantizer writes it (make_matmul_models.py,
    quantize_nbits_asym); the embedding and norms stay FP32.
OUT_DIR/model.json
    {"config", "params", "tensors": {name: {"shape", "kind"}}} with kind
    embedding | linear | lm_head | norm.

Memory: each Linear keeps its weight as the [in, out] matrix the ONNX
MatMul reads (LinearT: no transposed copy), the model is built once (not
through FamilyLM's constructor, which allocates every layer twice), the
export runs with export_params=False and the initializers are streamed
into the data file one tensor at a time. The peak is about two copies of
the FP32 weights, briefly: torch 1.13's tracer clones the module state once
(_get_trace_graph, _return_inputs_states). The MatMulNBits copy then
quantizes one matrix at a time from a memory map of the first file.
"""
import argparse
import gc
import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "family"))
import family_model as fm  # noqa: E402
import kv_models as km  # noqa: E402
from make_matmul_models import quantize_nbits_asym  # noqa: E402

FULL = dict(d_model=2048, n_layer=22, n_head=32, n_kv_head=4, ffn=5632,
            vocab=32000)
SMALL = dict(d_model=512, n_layer=4, n_head=8, n_kv_head=2, ffn=1408,
             vocab=4096)
BLOCK = 128
ALIGN = 4096


class LinearT(nn.Module):
    """A bias-free nn.Linear whose weight is stored as [in, out] (`weight_t`),
    the MatMul initializer ONNX reads: the export folds no transpose, so
    holds no second copy."""

    def __init__(self, k, n, std, gen):
        super().__init__()
        w = torch.empty(k, n).normal_(0.0, std, generator=gen)
        self.weight_t = nn.Parameter(w, requires_grad=False)

    def forward(self, x):
        return torch.matmul(x, self.weight_t)


class Attention(km.KVAttention):
    def __init__(self, cfg, gen, res_std):
        nn.Module.__init__(self)
        d = cfg["d_model"]
        self.n_head = cfg["n_head"]
        self.n_kv = cfg["n_kv_head"]
        self.hd = d // self.n_head
        self.q_proj = LinearT(d, self.n_head * self.hd, 0.02, gen)
        self.k_proj = LinearT(d, self.n_kv * self.hd, 0.02, gen)
        self.v_proj = LinearT(d, self.n_kv * self.hd, 0.02, gen)
        self.o_proj = LinearT(self.n_head * self.hd, d, res_std, gen)


class MLP(fm.MLP):
    def __init__(self, cfg, gen, res_std):
        nn.Module.__init__(self)
        d, f = cfg["d_model"], cfg["ffn"]
        self.gate_proj = LinearT(d, f, 0.02, gen)
        self.up_proj = LinearT(d, f, 0.02, gen)
        self.down_proj = LinearT(f, d, res_std, gen)


class DecoderLayer(km.KVDecoderLayer):
    def __init__(self, cfg, gen, res_std):
        nn.Module.__init__(self)
        d = cfg["d_model"]
        self.input_layernorm = fm.RMSNorm(d, cfg["eps"])
        self.self_attn = Attention(cfg, gen, res_std)
        self.post_attention_layernorm = fm.RMSNorm(d, cfg["eps"])
        self.mlp = MLP(cfg, gen, res_std)


class RandomLlamaKV(km.FamilyKV):
    """FamilyKV's forward (kv_models.py) over LinearT layers, built without
    FamilyLM's constructor (which would allocate every layer twice)."""

    def __init__(self, cfg, seed):
        nn.Module.__init__(self)
        gen = torch.Generator().manual_seed(seed)
        d, v = cfg["d_model"], cfg["vocab"]
        res_std = 0.02 / math.sqrt(2 * cfg["n_layer"])
        self.cfg = cfg
        emb = torch.empty(v, d).normal_(0.0, 0.02, generator=gen)
        self.embed_tokens = nn.Embedding(v, d, _weight=emb)
        self.embed_tokens.weight.requires_grad_(False)
        self.layers = nn.ModuleList([DecoderLayer(cfg, gen, res_std)
                                     for _ in range(cfg["n_layer"])])
        self.norm = fm.RMSNorm(d, cfg["eps"])
        self.lm_head = LinearT(d, v, 0.02, gen)
        self.tied = False
        hd = d // cfg["n_head"]
        self.rotary_emb = km.RotaryEmbedding(hd, cfg["rope_theta"])
        self.n_layer = cfg["n_layer"]
        self.kv_heads = cfg["n_kv_head"]
        self.head_dim = hd
        for name, p in self.named_parameters():
            p.requires_grad_(False)
            if kind_of(name) == "norm":
                # Distinct values: the exporter merges equal initializers.
                p.normal_(1.0, 0.02, generator=gen)


def kind_of(name):
    if name.startswith("embed_tokens"):
        return "embedding"
    if name.startswith("lm_head"):
        return "lm_head"
    if "norm" in name:
        return "norm"
    return "linear"


class ExternalData:
    """Appends tensors to one external data file; returns their TensorProtos."""

    def __init__(self, path):
        self.path = path
        self.f = open(path, "wb")

    def tensor(self, name, arr):
        arr = np.ascontiguousarray(arr)
        self.f.write(b"\0" * (-self.f.tell() % ALIGN))
        offset = self.f.tell()
        self.f.write(memoryview(arr.reshape(-1)).cast("B"))
        t = TensorProto()
        t.name = name
        t.data_type = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[arr.dtype]
        t.dims.extend(arr.shape)
        t.data_location = TensorProto.EXTERNAL
        for key, value in (("location", os.path.basename(self.path)),
                           ("offset", str(offset)),
                           ("length", str(arr.nbytes))):
            e = t.external_data.add()
            e.key, e.value = key, value
        return t

    def close(self):
        self.f.close()


def export(model, path):
    n = model.n_layer
    ins, outs = km.kv_names(n)
    b, past, seq = 1, 3, 5
    ids = torch.randint(0, model.cfg["vocab"], (b, seq))
    mask = torch.ones(b, past + seq, dtype=torch.int64)
    pos = torch.arange(past, past + seq)[None].expand(b, seq).contiguous()
    pkv = [torch.zeros(b, model.kv_heads, past, model.head_dim)
           for _ in range(2 * n)]
    with torch.no_grad():
        torch.onnx.export(model, (ids, mask, pos, *pkv), path,
                          input_names=ins, output_names=outs,
                          dynamic_axes=km.kv_dynamic_axes(n), opset_version=17,
                          do_constant_folding=True, export_params=False)
    m = onnx.load(path)
    params = dict(model.named_parameters())
    graph_inputs = [i for i in m.graph.input if i.name not in params]
    used = [i.name for i in m.graph.input if i.name in params]
    assert sorted(used) == sorted(params), sorted(set(params) ^ set(used))
    del m.graph.input[:]
    m.graph.input.extend(graph_inputs)
    data = ExternalData(path + ".data")
    for name in used:
        m.graph.initializer.append(data.tensor(name, params[name].numpy()))
    data.close()
    onnx.save(m, path)
    onnx.checker.check_model(path)
    return {name: {"shape": list(params[name].shape), "kind": kind_of(name)}
            for name in used}


def read_initializer(t, mapped):
    dtype = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[t.data_type]
    ext = {e.key: e.value for e in t.external_data}
    offset, length = int(ext["offset"]), int(ext["length"])
    return np.frombuffer(mapped[ext["location"]], dtype=dtype, count=length //
                         np.dtype(dtype).itemsize, offset=offset).reshape(
                             tuple(t.dims))


def to_nbits(src, dst, accuracy_level=4):
    """src (model-kv.onnx) -> dst with MatMulNBits weight MatMuls."""
    m = onnx.load(src, load_external_data=False)
    folder = os.path.dirname(os.path.abspath(src))
    mapped = {}
    for t in m.graph.initializer:
        loc = {e.key: e.value for e in t.external_data}["location"]
        if loc not in mapped:
            mapped[loc] = np.memmap(os.path.join(folder, loc), np.uint8, "r")
    inits = {t.name: t for t in m.graph.initializer}
    quantize = {n.input[1] for n in m.graph.node
                if n.op_type == "MatMul" and n.input[1] in inits
                and len(inits[n.input[1]].dims) == 2}
    float_users = {x for n in m.graph.node
                   if not (n.op_type == "MatMul" and n.input[1] in quantize)
                   for x in n.input}
    data = ExternalData(dst + ".data")
    new_inits = []
    for t in m.graph.initializer:
        arr = read_initializer(t, mapped)
        if t.name in float_users or t.name not in quantize:
            new_inits.append(data.tensor(t.name, arr))
        if t.name in quantize:
            packed, scales, zps = quantize_nbits_asym(arr, BLOCK)
            n = arr.shape[1]
            new_inits += [data.tensor(t.name + "_Q4", packed),
                          data.tensor(t.name + "_scales", scales.reshape(n, -1)),
                          data.tensor(t.name + "_zero_points", zps.reshape(n, -1))]
    data.close()
    nodes = []
    for node in m.graph.node:
        if node.op_type == "MatMul" and node.input[1] in quantize:
            w = node.input[1]
            k, n = inits[w].dims
            node = helper.make_node(
                "MatMulNBits", [node.input[0], w + "_Q4", w + "_scales",
                                w + "_zero_points"], list(node.output),
                name=node.name, domain="com.microsoft", K=k, N=n, bits=4,
                block_size=BLOCK, accuracy_level=accuracy_level)
        nodes.append(node)
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    del m.graph.initializer[:]
    m.graph.initializer.extend(new_inits)
    m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(m, dst)
    return len(quantize)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--small", action="store_true")
    for key in FULL:
        ap.add_argument("--" + key.replace("_", "-"), type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-nbits", action="store_true")
    a = ap.parse_args()
    cfg = dict(SMALL if a.small else FULL)
    for key in FULL:
        if getattr(a, key) is not None:
            cfg[key] = getattr(a, key)
    assert cfg["d_model"] % cfg["n_head"] == 0, "d_model % n_head"
    assert cfg["n_head"] % cfg["n_kv_head"] == 0, "n_head % n_kv_head"
    cfg.update(rope_theta=10000.0, eps=1e-5)
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(a.seed)
    model = RandomLlamaKV(cfg, a.seed).eval()
    params = sum(p.numel() for p in model.parameters())
    print(f"model: {params / 1e6:.1f}M parameters", file=sys.stderr)
    path = os.path.join(a.out, "model-kv.onnx")
    tensors = export(model, path)
    del model
    gc.collect()
    meta = {"config": cfg, "seed": a.seed, "params": params,
            "tensors": tensors}
    if not a.no_nbits:
        meta["nbits_matmuls"] = to_nbits(
            path, os.path.join(a.out, "model-kv-nbits.onnx"))
    with open(os.path.join(a.out, "model.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
