"""Exports a trained llama-family model to ONNX (opsets 14, 17 and 23) with
reference logits.

usage: /usr/bin/python3 scripts/family/export_family.py --arch llama|qwen2
       [--weights /tmp/llama-family/<arch>/weights.pt]

Writes into examples/llama-family/<arch>/:
  model-opset14.onnx, model-opset17.onnx  torch.onnx.export (static shapes,
      do_constant_folding=True; exporter node names kept). For a tied LM head
      (qwen2) the graph is rewritten so that ONE initializer holds the
      embedding table, read by the Gather and, through `/lm_head/Transpose`,
      by the LM-head MatMul.
  model-opset23.onnx  the same weights as a hand-built graph using the opset-23
      ops RMSNormalization, RotaryEmbedding and Attention.
  ref_logits.npy      float32 [4,128,V]: torch FP32 logits of eval.npy[0:4],
      each window fed as [1,128].
  meta.json           config, parameter counts, layers, training log, FP32 NLL,
      files (bytes, sha256, op types).
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import collections
import hashlib
import json
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import family_model as fm  # noqa: E402


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def op_types(model):
    return sorted(collections.Counter(n.op_type for n in model.graph.node).items())


def weight_matmuls(model):
    """MatMul nodes whose second input is a weight: an initializer, or a
    Transpose of one (the tied head)."""
    inits = {t.name for t in model.graph.initializer}
    tr = {n.output[0] for n in model.graph.node
          if n.op_type == "Transpose" and n.input[0] in inits}
    return [n.name for n in model.graph.node
            if n.op_type == "MatMul" and (n.input[1] in inits or n.input[1] in tr)]


# ----------------------------------------------------------------------------
# torch.onnx.export
# ----------------------------------------------------------------------------

def torch_export(model, path, opset):
    x = torch.zeros(1, fm.CTX, dtype=torch.long)
    torch.onnx.export(model, (x,), path, input_names=["input_ids"],
                      output_names=["logits"], opset_version=opset,
                      do_constant_folding=True)


def retie_lm_head(path, embed):
    """torch's constant folding turns MatMul(x, Transpose(embed)) into
    MatMul(x, <new initializer = embed^T>). Undo that: drop the duplicate,
    add `/lm_head/Transpose` reading the embedding initializer."""
    m = onnx.load(path)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    gathers = [n for n in g.node if n.op_type == "Gather" and n.input[0] in inits]
    assert len(gathers) == 1, [n.name for n in gathers]
    emb_name = gathers[0].input[0]
    emb = numpy_helper.to_array(inits[emb_name])
    assert np.array_equal(emb, embed)
    head = [n for n in g.node if n.op_type == "MatMul" and n.output[0] == "logits"]
    if not head:
        # The MatMul may feed an Identity/Cast before 'logits'; search by name.
        head = [n for n in g.node if n.op_type == "MatMul" and n.name.startswith("/lm_head/")]
    assert len(head) == 1, "LM-head MatMul not found"
    head = head[0]
    w_name = head.input[1]
    if w_name == emb_name:
        return False
    if w_name in inits:
        w = numpy_helper.to_array(inits[w_name])
        assert np.array_equal(w, emb.T), "LM-head weight is not embed^T"
        t_out = "/lm_head/Transpose_output_0"
        tnode = helper.make_node("Transpose", [emb_name], [t_out], name="/lm_head/Transpose",
                                 perm=[1, 0])
        head.input[1] = t_out
        idx = list(g.node).index(head)
        g.node.insert(idx, tnode)
        used = {i for n in g.node for i in n.input}
        if w_name not in used:
            g.initializer.remove(inits[w_name])
        onnx.checker.check_model(m)
        onnx.save(m, path)
        return True
    # Already MatMul(x, Transpose(embed)) from the exporter.
    prod = [n for n in g.node if w_name in n.output]
    assert prod and prod[0].op_type == "Transpose" and prod[0].input[0] == emb_name
    return False


# ----------------------------------------------------------------------------
# Hand-built opset-23 graph
# ----------------------------------------------------------------------------

def build_opset23(model, path):
    cfg = model.cfg
    sd = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    V, d = sd["embed_tokens.weight"].shape
    H, KV = cfg["n_head"], cfg["n_kv_head"]
    hd = d // H
    T = cfg["ctx"]
    eps = float(cfg["eps"])
    nodes, inits = [], []

    def init(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op, ins, name, **attrs):
        out = name + "_output_0"
        nodes.append(helper.make_node(op, ins, [out], name=name, **attrs))
        return out

    def linear(x, mod):
        w = init(mod + ".weight_t", sd[mod + ".weight"].T)
        base = "/" + mod.replace(".self_attn.", "/self_attn/").replace(".mlp.", "/mlp/")
        y = node("MatMul", [x, w], base + "/MatMul")
        if mod + ".bias" in sd:
            b = init(mod + ".bias", sd[mod + ".bias"])
            y = node("Add", [y, b], base + "/Add")
        return y

    def rmsnorm(x, mod, name):
        w = init(mod + ".weight", sd[mod + ".weight"])
        return node("RMSNormalization", [x, w], name, axis=-1, epsilon=eps, stash_type=1)

    # RoPE caches in the spec's layout: [max_position, head_dim/2] (the
    # rotate-half cos/sin of HF are these halves repeated twice).
    cos = model.rope_cos.numpy()[:, :hd // 2].astype(np.float32)
    sin = model.rope_sin.numpy()[:, :hd // 2].astype(np.float32)
    init("rope.cos_cache", cos)
    init("rope.sin_cache", sin)
    init("rope.position_ids", np.arange(T, dtype=np.int64)[None, :])

    emb = init("embed_tokens.weight", sd["embed_tokens.weight"])
    h = node("Gather", [emb, "input_ids"], "/embed_tokens/Gather", axis=0)
    for i in range(cfg["n_layer"]):
        p = f"layers.{i}"
        n1 = rmsnorm(h, p + ".input_layernorm", f"/layers.{i}/input_layernorm/RMSNormalization")
        q = linear(n1, p + ".self_attn.q_proj")
        k = linear(n1, p + ".self_attn.k_proj")
        v = linear(n1, p + ".self_attn.v_proj")
        q = node("RotaryEmbedding", [q, "rope.cos_cache", "rope.sin_cache", "rope.position_ids"],
                 f"/layers.{i}/self_attn/q_rotary/RotaryEmbedding", interleaved=0, num_heads=H)
        k = node("RotaryEmbedding", [k, "rope.cos_cache", "rope.sin_cache", "rope.position_ids"],
                 f"/layers.{i}/self_attn/k_rotary/RotaryEmbedding", interleaved=0, num_heads=KV)
        a = node("Attention", [q, k, v], f"/layers.{i}/self_attn/Attention",
                 is_causal=1, q_num_heads=H, kv_num_heads=KV)
        o = linear(a, p + ".self_attn.o_proj")
        h = node("Add", [h, o], f"/layers.{i}/Add")
        n2 = rmsnorm(h, p + ".post_attention_layernorm",
                     f"/layers.{i}/post_attention_layernorm/RMSNormalization")
        gt = linear(n2, p + ".mlp.gate_proj")
        sg = node("Sigmoid", [gt], f"/layers.{i}/mlp/act_fn/Sigmoid")
        act = node("Mul", [gt, sg], f"/layers.{i}/mlp/act_fn/Mul")
        up = linear(n2, p + ".mlp.up_proj")
        mm = node("Mul", [act, up], f"/layers.{i}/mlp/Mul")
        dn = linear(mm, p + ".mlp.down_proj")
        h = node("Add", [h, dn], f"/layers.{i}/Add_1")
    hn = rmsnorm(h, "norm", "/norm/RMSNormalization")
    if cfg["tie_embeddings"]:
        wt = node("Transpose", [emb], "/lm_head/Transpose", perm=[1, 0])
    else:
        wt = init("lm_head.weight_t", sd["lm_head.weight"].T)
    nodes.append(helper.make_node("MatMul", [hn, wt], ["logits"], name="/lm_head/MatMul"))

    graph = helper.make_graph(
        nodes, f"{cfg['arch']}-family",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, T])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, T, V])],
        initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)],
                          producer_name="quantc scripts/family/export_family.py")
    m.ir_version = 11
    onnx.save(m, path)
    return m


# ----------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True, choices=sorted(fm.CONFIGS))
    ap.add_argument("--weights", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)

    out = fm.model_dir(args.arch)
    itos, _ = fm.load_vocab(os.path.join(out, "vocab.json"))
    V = len(itos)
    model = fm.build_model(args.arch, V)
    wpath = args.weights or fm.weights_path(args.arch)
    model.load_state_dict(torch.load(wpath, map_location="cpu"))
    model.eval()

    ev = np.load(os.path.join(out, "eval.npy"))
    with torch.no_grad():
        ref = np.stack([model(torch.as_tensor(ev[i:i + 1]))[0].numpy() for i in range(4)])
    ref = ref.astype(np.float32)
    np.save(os.path.join(out, "ref_logits.npy"), ref)
    nll = fm.eval_nll(model, ev)
    print(f"{args.arch}: FP32 test NLL {nll:.4f} nats/char, ppl {np.exp(nll):.3f}")

    files = {}
    for opset in (14, 17):
        path = os.path.join(out, f"model-opset{opset}.onnx")
        torch_export(model, path, opset)
        retied = False
        if model.tied:
            retied = retie_lm_head(path, model.embed_tokens.weight.detach().numpy())
        m = onnx.load(path)
        onnx.checker.check_model(m)
        files[os.path.basename(path)] = {"retied_lm_head": retied}
    build_opset23(model, os.path.join(out, "model-opset23.onnx"))

    for name in list(files) + ["model-opset23.onnx"]:
        path = os.path.join(out, name)
        m = onnx.load(path)
        info = files.setdefault(name, {})
        info.update({
            "bytes": os.path.getsize(path), "sha256": sha256(path),
            "opset": m.opset_import[0].version, "ir_version": m.ir_version,
            "ops": dict(op_types(m)), "nodes": len(m.graph.node),
            "initializers": len(m.graph.initializer),
            "weight_matmuls": weight_matmuls(m),
        })
        print(name, info["bytes"], "bytes;", ", ".join(f"{k} {v}" for k, v in info["ops"].items()))

    # meta.json
    tl_path = os.path.join(os.path.dirname(wpath), "train_log.json")
    train = json.load(open(tl_path)) if os.path.exists(tl_path) else {}
    corpus_path = os.path.join(fm.WORK_DIR, "corpus.json")
    corpus = json.load(open(corpus_path)) if os.path.exists(corpus_path) else {}
    linear = {}
    for i in range(model.cfg["n_layer"]):
        for n in fm.LINEAR_NAMES:
            mod = model.get_submodule(f"layers.{i}.{n}")
            linear[f"layers.{i}.{n}"] = {"out_in": list(mod.weight.shape), "bias": mod.bias is not None}
    linear["lm_head"] = {"out_in": list(model.lm_head.weight.shape), "bias": False,
                         "tied_to": "embed_tokens" if model.tied else None}
    n_lin = sum(v["out_in"][0] * v["out_in"][1] for k, v in linear.items() if k != "lm_head")
    meta = {
        "name": f"llama-family/{args.arch}",
        "config": model.cfg,
        "params": fm.param_count(model),
        "params_quantized_linears": n_lin,
        "linear_layers": linear,
        "fp32_test": {"nll": nll, "ppl": float(np.exp(nll)), "predictions": int(ev.shape[0] * (ev.shape[1] - 1))},
        "files": files,
        "corpus": {k: v for k, v in corpus.items() if k != "files"},
        "train": train.get("train"),
        "train_log": train.get("train_log"),
    }
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
