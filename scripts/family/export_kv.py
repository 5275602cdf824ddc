"""KV-cache ("model-kv") ONNX exports and greedy reference generations for
the llama-family models (llama, qwen2) and tinygpt-shakespeare.

usage: /usr/bin/python3 scripts/family/export_kv.py [--arch llama qwen2 tinygpt]
needs: onnxruntime-node in /tmp/ort (see scripts/family/ort_logits.js) for the
       ORT checks (scripts/family/ort_generate.js).

For each model (weights recovered from its existing ONNX file, see
scripts/family/kv_models.py):
  1. the recovered torch model reproduces ref_logits.npy (eval.npy[0:4], each
     window as [1,128]) to <= 1e-4, and so does the KV model with past 0;
  2. exports model-kv.onnx (torch.onnx.export, legacy exporter, opset 17,
     do_constant_folding=True, exporter node names kept; HF optimum /
     onnxruntime-genai input/output names and dynamic axes); for qwen2 the
     tied head is re-tied like export_family.py does (one embedding
     initializer read by the Gather and by /lm_head/Transpose);
     onnx.checker (full_check) and strict shape inference;
  3. ORT on model-kv.onnx with past 0, seq 128 reproduces ref_logits.npy;
  4. writes kv_prompt_ids.npy = eval.npy[0:2, 0:32] and greedy-decodes 64
     new tokens, batch 2, with: torch + KV cache (prefill in one call; token
     by token; two chunks of 16), torch without cache (full recompute of the
     original model), ORT + model-kv.onnx (the same three prefill schedules)
     and ORT without cache (the original static ONNX file). All must agree
     token for token; kv_ref_tokens.npy = int64 [2,64] new tokens;
  5. extra ORT checks of the mask: left padding (attention_mask 0 on pads),
     and one decode step from a torch-made cache.
Prints a JSON summary per model and writes it to /tmp/kv-export/<arch>/summary.json.
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import collections
import hashlib
import json
import subprocess
import sys

import numpy as np
import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kv_models as km  # noqa: E402
import export_family as ef  # noqa: E402

TOL = 1e-4
WORK = "/tmp/kv-export"
PROMPT_ROWS, PROMPT_LEN, NEW_TOKENS = 2, 32, 64


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def empty_past(model, b):
    return [torch.zeros(b, model.kv_heads, 0, model.head_dim) for _ in range(2 * model.n_layer)]


@torch.no_grad()
def kv_call(model, ids, past, past_len, mask=None, pos=None):
    b, c = ids.shape
    if mask is None:
        mask = torch.ones(b, past_len + c, dtype=torch.int64)
    if pos is None:
        pos = torch.arange(past_len, past_len + c, dtype=torch.int64)[None].expand(b, c).contiguous()
    out = model(ids, mask, pos, *past)
    return out[0], list(out[1:])


@torch.no_grad()
def torch_generate_kv(model, prompts, n_new, chunk):
    b, L = prompts.shape
    past = empty_past(model, b)
    past_len = 0
    ids = torch.as_tensor(prompts)
    for s in range(0, L, chunk):
        logits, past = kv_call(model, ids[:, s:s + chunk], past, past_len)
        past_len += ids[:, s:s + chunk].shape[1]
    toks, steps = [], []
    for t in range(n_new):
        last = logits[:, -1]
        steps.append(last.numpy().copy())
        nxt = last.argmax(-1)
        toks.append(nxt.numpy().copy())
        if t == n_new - 1:
            break
        logits, past = kv_call(model, nxt[:, None], past, past_len)
        past_len += 1
    return np.stack(toks, 1).astype(np.int64), np.stack(steps, 1)


@torch.no_grad()
def torch_generate_nocache(model, prompts, n_new):
    seq = torch.as_tensor(prompts)
    toks, steps = [], []
    for t in range(n_new):
        last = model(seq)[:, -1]
        steps.append(last.numpy().copy())
        nxt = last.argmax(-1)
        toks.append(nxt.numpy().copy())
        seq = torch.cat([seq, nxt[:, None]], 1)
    return np.stack(toks, 1).astype(np.int64), np.stack(steps, 1)


def node(spec, work, tag):
    path = os.path.join(work, f"{tag}.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    env = dict(os.environ, NODE_PATH=os.environ.get("ORT_NODE_PATH", "/tmp/ort/node_modules"))
    r = subprocess.run(["node", os.path.join(HERE, "ort_generate.js"), path], env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"ort_generate.js {tag} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def ort_generate(model_path, prompts_bin, work, tag, vocab, mode, **kw):
    tok = os.path.join(work, f"{tag}.tok.bin")
    lg = os.path.join(work, f"{tag}.logits.bin")
    spec = dict(mode=mode, model=model_path, prompts=prompts_bin, batch=PROMPT_ROWS,
                prompt_len=PROMPT_LEN, new_tokens=NEW_TOKENS, tokens=tok, step_logits=lg, **kw)
    info = node(spec, work, tag)
    toks = np.fromfile(tok, dtype="<i8").reshape(PROMPT_ROWS, NEW_TOKENS)
    logits = np.fromfile(lg, dtype="<f4").reshape(PROMPT_ROWS, NEW_TOKENS, vocab)
    return toks, logits, info


def ort_run(model_path, feeds, outputs, work, tag):
    inputs = {}
    for name, arr in feeds.items():
        f = os.path.join(work, f"{tag}.in.{name}.bin")
        dt = "int64" if arr.dtype == np.int64 else "float32"
        np.ascontiguousarray(arr).astype("<i8" if dt == "int64" else "<f4").tofile(f)
        inputs[name] = {"dtype": dt, "dims": list(arr.shape), "file": f}
    outs = {n: os.path.join(work, f"{tag}.out.{n}.bin") for n in outputs}
    info = node(dict(mode="run", model=model_path, inputs=inputs, outputs=outs), work, tag)
    return {n: np.fromfile(outs[n], dtype="<f4").reshape(info["dims"][n]) for n in outputs}


def margins(step_logits):
    s = np.sort(step_logits.astype(np.float64), axis=-1)
    return s[..., -1] - s[..., -2]           # [rows, steps]


def rename_weights_t(path):
    """tinygpt's model.onnx names its pre-transposed Linear weights
    `<layer>.weight_t`; give the export's `onnx::MatMul_<n>` initializers the
    same names (from the MatMul node names, e.g. /blocks.0/attn/qkv/MatMul)."""
    m = onnx.load(path)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    ren = {}
    for n in g.node:
        if n.op_type == "MatMul" and n.input[1] in inits and n.input[1].startswith("onnx::MatMul"):
            assert n.name.endswith("/MatMul"), n.name
            new = n.name[1:-len("/MatMul")].replace("/", ".") + ".weight_t"
            assert new not in inits and n.input[1] not in ren
            ren[n.input[1]] = new
    for old, new in ren.items():
        inits[old].name = new
    for n in g.node:
        for i, x in enumerate(n.input):
            if x in ren:
                n.input[i] = ren[x]
    onnx.save(m, path)
    return len(ren)


def export_onnx(kvmodel, path, arch):
    n = kvmodel.n_layer
    ins, outs = km.kv_names(n)
    b, past, seq = 3, 5, 7
    V = kvmodel.lm_head.weight.shape[0]
    ids = torch.randint(0, V, (b, seq))
    mask = torch.ones(b, past + seq, dtype=torch.int64)
    pos = torch.arange(past, past + seq)[None].expand(b, seq).contiguous()
    pkv = [torch.randn(b, kvmodel.kv_heads, past, kvmodel.head_dim) for _ in range(2 * n)]
    torch.onnx.export(kvmodel, (ids, mask, pos, *pkv), path, input_names=ins, output_names=outs,
                      dynamic_axes=km.kv_dynamic_axes(n), opset_version=17,
                      do_constant_folding=True)
    retied = False
    if arch == "qwen2":
        retied = ef.retie_lm_head(path, kvmodel.embed_tokens.weight.detach().numpy())
    if arch == "tinygpt":
        rename_weights_t(path)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    return m, retied


def describe(m, path):
    g = m.graph
    ops = collections.Counter(n.op_type for n in g.node)

    def vi(v):
        t = v.type.tensor_type
        dims = [d.dim_param if d.dim_param else d.dim_value for d in t.shape.dim]
        return {"name": v.name, "elem_type": onnx.TensorProto.DataType.Name(t.elem_type), "dims": dims}

    inits = {t.name for t in g.initializer}
    return {
        "bytes": os.path.getsize(path), "sha256": sha256(path),
        "opset": m.opset_import[0].version, "ir_version": m.ir_version,
        "nodes": len(g.node), "initializers": len(g.initializer),
        "ops": dict(sorted(ops.items())),
        "inputs": [vi(v) for v in g.input if v.name not in inits],
        "outputs": [vi(v) for v in g.output],
        "weight_matmuls": ef.weight_matmuls(m),
        "node_names_sample": [n.name for n in g.node
                              if n.op_type in ("MatMul", "Range", "Where", "LessOrEqual", "Concat",
                                               "Expand", "Cos", "Sin", "Softmax")][:60],
    }


def run_arch(arch):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    a = km.ARCHS[arch]
    d = a["dir"]
    work = os.path.join(WORK, arch)
    os.makedirs(work, exist_ok=True)
    S = {"arch": arch}
    ev = np.load(os.path.join(d, "eval.npy"))
    ref = np.load(os.path.join(d, "ref_logits.npy"))

    # 1. recovered models vs ref_logits
    base, V = a["load"](False)
    kvm, _ = a["load"](True)
    with torch.no_grad():
        lg = np.stack([base(torch.as_tensor(ev[i:i + 1]))[0].numpy() for i in range(4)])
        lkv = np.stack([kv_call(kvm, torch.as_tensor(ev[i:i + 1]), empty_past(kvm, 1), 0)[0][0].numpy()
                        for i in range(4)])
    S["torch_recovered_vs_ref_logits"] = float(np.abs(lg - ref).max())
    S["torch_kv_past0_vs_ref_logits"] = float(np.abs(lkv - ref).max())
    S["torch_kv_past0_vs_recovered"] = float(np.abs(lkv - lg).max())
    assert S["torch_recovered_vs_ref_logits"] <= TOL and S["torch_kv_past0_vs_ref_logits"] <= TOL, S

    # 2. export
    path = os.path.join(d, "model-kv.onnx")
    m, retied = export_onnx(kvm, path, arch)
    S["onnx"] = describe(m, path)
    S["onnx"]["retied_lm_head"] = retied
    S["onnx"]["checker_full_check"] = True
    S["onnx"]["strict_shape_inference"] = True

    # 3. ORT past 0 vs ref_logits
    inp = os.path.join(work, "eval4.bin")
    ev[:4].astype("<i8").tofile(inp)
    for batch in (1, 4):
        outp = os.path.join(work, f"ort_logits_b{batch}.bin")
        node(dict(mode="logits", model=path, input=inp, rows=4, seq=ev.shape[1], batch=batch,
                  kv_heads=kvm.kv_heads, head_dim=kvm.head_dim, output=outp), work, f"logits_b{batch}")
        ol = np.fromfile(outp, dtype="<f4").reshape(4, ev.shape[1], V)
        S[f"ort_kv_past0_batch{batch}_vs_ref_logits"] = float(np.abs(ol - ref).max())
        assert S[f"ort_kv_past0_batch{batch}_vs_ref_logits"] <= TOL, S

    # 4. generations
    prompts = np.ascontiguousarray(ev[:PROMPT_ROWS, :PROMPT_LEN]).astype(np.int64)
    np.save(os.path.join(d, "kv_prompt_ids.npy"), prompts)
    pbin = os.path.join(work, "prompts.bin")
    prompts.astype("<i8").tofile(pbin)
    runs = {}
    runs["torch_kv_prefill32"] = torch_generate_kv(kvm, prompts, NEW_TOKENS, PROMPT_LEN)
    runs["torch_kv_token_by_token"] = torch_generate_kv(kvm, prompts, NEW_TOKENS, 1)
    runs["torch_kv_prefill_2x16"] = torch_generate_kv(kvm, prompts, NEW_TOKENS, 16)
    runs["torch_nocache_original"] = torch_generate_nocache(base, prompts, NEW_TOKENS)
    kvkw = dict(kv_heads=kvm.kv_heads, head_dim=kvm.head_dim)
    for name, chunk in (("ort_kv_prefill32", PROMPT_LEN), ("ort_kv_token_by_token", 1),
                        ("ort_kv_prefill_2x16", 16)):
        t, l, _ = ort_generate(path, pbin, work, name, V, "generate", chunk=chunk, **kvkw)
        runs[name] = (t, l)
    static = os.path.join(d, a["static_onnx"])
    t, l, _ = ort_generate(static, pbin, work, "ort_nocache_" + a["static_onnx"], V, "nocache",
                           static_len=128)
    runs["ort_nocache_" + a["static_onnx"]] = (t, l)

    ref_t, ref_l = runs["torch_kv_prefill32"]
    agree = {k: bool(np.array_equal(v[0], ref_t)) for k, v in runs.items()}
    S["generation"] = {
        "prompts": "eval.npy[0:2, 0:32]", "new_tokens": NEW_TOKENS, "batch": PROMPT_ROWS,
        "agree_with_torch_kv_prefill32": agree, "all_agree": all(agree.values()),
        "step_logits_max_abs_diff_vs_torch_kv_prefill32":
            {k: float(np.abs(v[1] - ref_l).max()) for k, v in runs.items()},
        "min_top1_top2_margin": {k: float(margins(v[1]).min()) for k, v in runs.items()},
    }
    mg = margins(ref_l)
    r, s = np.unravel_index(np.argmin(mg), mg.shape)
    S["generation"]["min_margin_where"] = {"row": int(r), "step": int(s), "margin": float(mg[r, s])}
    S["generation"]["margins_below"] = {str(th): int((mg < th).sum()) for th in (0.01, 0.1, 0.5)}
    itos = None
    vocab_path = os.path.join(d, "vocab.json")
    if os.path.exists(vocab_path):
        itos = json.load(open(vocab_path))["itos"]
        S["generation"]["text"] = [{"prompt": "".join(itos[i] for i in prompts[j]),
                                    "continuation": "".join(itos[i] for i in ref_t[j])}
                                   for j in range(PROMPT_ROWS)]
    assert S["generation"]["all_agree"], S["generation"]
    np.save(os.path.join(d, "kv_ref_tokens.npy"), ref_t.astype(np.int64))

    # 5. extra ORT mask checks
    extra = {}
    # (a) left padding: row 1 of the prompts padded on the left by 5 tokens
    #     with attention_mask 0 and HF position ids (cumsum - 1, 1 on pads);
    #     logits of the real positions must equal those of the unpadded row.
    pad = 5
    ids = np.concatenate([np.zeros((1, pad), np.int64), prompts[1:2]], 1)
    msk = np.concatenate([np.zeros((1, pad), np.int64), np.ones((1, PROMPT_LEN), np.int64)], 1)
    pos = np.cumsum(msk, 1) - 1
    pos[msk == 0] = 1
    n = kvm.n_layer
    past0 = {f"past_key_values.{i}.{k}": np.zeros((1, kvm.kv_heads, 0, kvm.head_dim), np.float32)
             for i in range(n) for k in ("key", "value")}
    o = ort_run(path, dict(input_ids=ids, attention_mask=msk, position_ids=pos, **past0),
                ["logits"], work, "leftpad")
    unpadded, _ = kv_call(kvm, torch.as_tensor(prompts[1:2]), empty_past(kvm, 1), 0)
    tp, _ = kv_call(kvm, torch.as_tensor(ids), empty_past(kvm, 1), 0, torch.as_tensor(msk), torch.as_tensor(pos))
    extra["leftpad5_ort_vs_torch_unpadded"] = float(np.abs(o["logits"][:, pad:] - unpadded.numpy()).max())
    extra["leftpad5_torch_vs_torch_unpadded"] = float(np.abs(tp.numpy()[:, pad:] - unpadded.numpy()).max())
    # (b) a 3-token step on a torch-made 32-token cache (past>0, seq>1):
    #     ORT logits/presents vs torch.
    _, pastT = kv_call(kvm, torch.as_tensor(prompts), empty_past(kvm, 2), 0)
    nxt = np.ascontiguousarray(ev[:2, PROMPT_LEN:PROMPT_LEN + 3]).astype(np.int64)
    feeds = dict(input_ids=nxt, attention_mask=np.ones((2, PROMPT_LEN + 3), np.int64),
                 position_ids=np.tile(np.arange(PROMPT_LEN, PROMPT_LEN + 3, dtype=np.int64), (2, 1)))
    names_in, names_out = km.kv_names(n)
    for i, nm in enumerate(names_in[3:]):
        feeds[nm] = pastT[i].numpy()
    o = ort_run(path, feeds, names_out, work, "step3")
    lt, presT = kv_call(kvm, torch.as_tensor(nxt), pastT, PROMPT_LEN)
    extra["step3_on_torch_cache_logits_ort_vs_torch"] = float(np.abs(o["logits"] - lt.numpy()).max())
    extra["step3_on_torch_cache_present_ort_vs_torch"] = float(max(
        np.abs(o[nm] - presT[i].numpy()).max() for i, nm in enumerate(names_out[1:])))
    full = base(torch.as_tensor(ev[:2, :PROMPT_LEN + 3]))[:, PROMPT_LEN:].detach().numpy()
    extra["step3_on_cache_ort_vs_torch_nocache"] = float(np.abs(o["logits"] - full).max())
    S["extra_checks"] = extra
    with open(os.path.join(work, "summary.json"), "w") as f:
        json.dump(S, f, indent=1)
    return S


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", nargs="*", default=list(km.ARCHS))
    args = ap.parse_args()
    for arch in args.arch:
        S = run_arch(arch)
        print(json.dumps(S, indent=1))


if __name__ == "__main__":
    main()
