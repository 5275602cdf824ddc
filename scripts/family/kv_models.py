"""KV-cache ("model-kv") variants of the llama-family models and of the shared
tinygpt-shakespeare model, with weights recovered from their ONNX files.

Used by scripts/family/export_kv.py. The KV convention is Hugging Face
optimum's / onnxruntime-genai's:

  inputs : input_ids int64 [batch, seq]; attention_mask int64 [batch, past+seq];
           position_ids int64 [batch, seq]; for each layer i
           past_key_values.{i}.key / .value float32 [batch, kv_heads, past, head_dim]
  outputs: logits float32 [batch, seq, vocab]; for each layer i
           present.{i}.key / .value [batch, kv_heads, past+seq, head_dim],
           present = cat([past, new], dim=2) (llama family: keys after RoPE;
           GQA repeat_kv applied after the concat, on present, as HF does).

The causal mask is built from shapes, as HF does: query i (absolute position
past+i) sees key j iff j <= past+i and attention_mask[b, j] == 1; masked
scores are set to -1e9 (what both original models use) before the softmax.
RoPE cos/sin come from position_ids at run time (HF LlamaRotaryEmbedding:
inv_freq[None,:,None] @ position_ids[:,None,:]); tinygpt gathers its learned
position embedding with position_ids.

Parameter and module names are those of the original models, so the ONNX
node names match the existing exports (`/layers.0/self_attn/q_proj/MatMul`,
`/blocks.0/attn/qkv/MatMul`, ...).
"""
import math
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import family_model as fm  # noqa: E402

REPO = fm.REPO
TINYGPT_DIR = os.path.join(REPO, "examples", "tinygpt-shakespeare")
NEG = -1e9


# ----------------------------------------------------------------------------
# Shared pieces
# ----------------------------------------------------------------------------

def kv_causal_mask(attention_mask, seq_len, past_len):
    """bool [batch, 1, seq, past+seq], True where the score is masked: key j is
    visible to query i iff j <= past_len + i and attention_mask[b, j] == 1."""
    q_pos = torch.arange(seq_len, dtype=torch.int64) + past_len              # [seq]
    k_pos = torch.arange(past_len + seq_len, dtype=torch.int64)              # [total]
    causal = k_pos[None, :] <= q_pos[:, None]                                # [seq, total]
    keep = attention_mask[:, None, None, :].bool()                           # [b,1,1,total]
    return ~(causal[None, None, :, :] & keep)


def kv_names(n_layer):
    ins = ["input_ids", "attention_mask", "position_ids"]
    outs = ["logits"]
    for i in range(n_layer):
        ins += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outs += [f"present.{i}.key", f"present.{i}.value"]
    return ins, outs


def kv_dynamic_axes(n_layer):
    ax = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(n_layer):
        for kind in ("key", "value"):
            ax[f"past_key_values.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length"}
            ax[f"present.{i}.{kind}"] = {0: "batch_size", 2: "total_sequence_length"}
    return ax


def onnx_inits(path):
    m = onnx.load(path)
    return {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}, m


# ----------------------------------------------------------------------------
# llama family
# ----------------------------------------------------------------------------

class RotaryEmbedding(nn.Module):
    """HF LlamaRotaryEmbedding (default rope type, scaling 1)."""

    def __init__(self, head_dim, theta):
        super().__init__()
        inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, position_ids):
        inv = self.inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
        pos = position_ids[:, None, :].float()
        freqs = torch.matmul(inv, pos).transpose(1, 2)        # [b, seq, hd/2]
        emb = torch.cat((freqs, freqs), dim=-1)                # [b, seq, hd]
        return emb.cos(), emb.sin()


class KVAttention(fm.Attention):
    def forward(self, x, cos, sin, mask, past_k, past_v):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.n_head, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.n_kv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.n_kv, self.hd).transpose(1, 2)
        cos = cos.unsqueeze(1)
        sin = sin.unsqueeze(1)
        q = q * cos + fm.rotate_half(q) * sin
        k = k * cos + fm.rotate_half(k) * sin
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        present_k, present_v = k, v
        rep = self.n_head // self.n_kv
        k = fm.repeat_kv(k, rep)
        v = fm.repeat_kv(v, rep)
        att = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(self.hd))
        att = att.masked_fill(mask, NEG)
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v)
        y = y.transpose(1, 2).reshape(b, t, self.n_head * self.hd)
        return self.o_proj(y), present_k, present_v


class KVDecoderLayer(fm.DecoderLayer):
    def __init__(self, cfg):
        super().__init__(cfg)
        self.self_attn = KVAttention(cfg)

    def forward(self, x, cos, sin, mask, past_k, past_v):
        a, pk, pv = self.self_attn(self.input_layernorm(x), cos, sin, mask, past_k, past_v)
        x = x + a
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x, pk, pv


class FamilyKV(fm.FamilyLM):
    """FamilyLM with HF-style KV-cache inputs/outputs (same parameters)."""

    def __init__(self, cfg, vocab):
        super().__init__(cfg, vocab)
        self.layers = nn.ModuleList([KVDecoderLayer(cfg) for _ in range(cfg["n_layer"])])
        hd = cfg["d_model"] // cfg["n_head"]
        self.rotary_emb = RotaryEmbedding(hd, cfg["rope_theta"])
        self.n_layer = cfg["n_layer"]
        self.kv_heads = cfg["n_kv_head"]
        self.head_dim = hd

    def forward(self, input_ids, attention_mask, position_ids, *past):
        t = input_ids.shape[1]
        past_len = past[0].shape[2]
        x = self.embed_tokens(input_ids)
        cos, sin = self.rotary_emb(position_ids)
        mask = kv_causal_mask(attention_mask, t, past_len)
        presents = []
        for i, layer in enumerate(self.layers):
            x, pk, pv = layer(x, cos, sin, mask, past[2 * i], past[2 * i + 1])
            presents += [pk, pv]
        return (self.head(x), *presents)


FAMILY_LINEAR_NODES = {
    "self_attn.q_proj": "self_attn/q_proj", "self_attn.k_proj": "self_attn/k_proj",
    "self_attn.v_proj": "self_attn/v_proj", "self_attn.o_proj": "self_attn/o_proj",
    "mlp.gate_proj": "mlp/gate_proj", "mlp.up_proj": "mlp/up_proj",
    "mlp.down_proj": "mlp/down_proj",
}


def family_state_from_opset17(arch):
    """state_dict of FamilyLM read from model-opset17.onnx: Linear weights are
    the [in,out] MatMul initializers of the nodes /layers.i/<mod>/MatMul
    (transposed back to [out,in]); biases, norms and the embedding by name;
    the head from /lm_head/MatMul (qwen2: through /lm_head/Transpose of
    embed_tokens.weight, i.e. tied)."""
    inits, m = onnx_inits(os.path.join(fm.model_dir(arch), "model-opset17.onnx"))
    nodes = {n.name: n for n in m.graph.node}
    cfg = fm.CONFIGS[arch]
    sd = {}
    sd["embed_tokens.weight"] = inits["embed_tokens.weight"]
    sd["norm.weight"] = inits["norm.weight"]
    for i in range(cfg["n_layer"]):
        p = f"layers.{i}"
        for nm in ("input_layernorm", "post_attention_layernorm"):
            sd[f"{p}.{nm}.weight"] = inits[f"{p}.{nm}.weight"]
        for mod, nn_ in FAMILY_LINEAR_NODES.items():
            node = nodes[f"/{p}/{nn_}/MatMul"]
            sd[f"{p}.{mod}.weight"] = inits[node.input[1]].T
            if f"{p}.{mod}.bias" in inits:
                sd[f"{p}.{mod}.bias"] = inits[f"{p}.{mod}.bias"]
    head = nodes["/lm_head/MatMul"]
    if head.input[1] in inits:
        assert not cfg["tie_embeddings"]
        sd["lm_head.weight"] = inits[head.input[1]].T
    else:
        tr = nodes["/lm_head/Transpose"]
        assert cfg["tie_embeddings"] and tr.input[0] == "embed_tokens.weight"
        sd["lm_head.weight"] = sd["embed_tokens.weight"]
    return {k: np.ascontiguousarray(v.astype(np.float32)) for k, v in sd.items()}


def family_state_from_opset23(arch):
    """The same from the hand-built opset-23 file (initializers by name)."""
    inits, _ = onnx_inits(os.path.join(fm.model_dir(arch), "model-opset23.onnx"))
    sd = {}
    for k, v in inits.items():
        if k.startswith("rope."):
            continue
        if k.endswith(".weight_t"):
            sd[k[:-len("_t")]] = v.T
        else:
            sd[k] = v
    if "lm_head.weight" not in sd:
        sd["lm_head.weight"] = sd["embed_tokens.weight"]
    return {k: np.ascontiguousarray(v.astype(np.float32)) for k, v in sd.items()}


def load_family(arch, kv=False):
    """(model, vocab) with weights from model-opset17.onnx, cross-checked
    bit-exactly against model-opset23.onnx."""
    sd = family_state_from_opset17(arch)
    sd23 = family_state_from_opset23(arch)
    assert sorted(sd) == sorted(sd23), (sorted(set(sd) ^ set(sd23)))
    for k in sd:
        assert np.array_equal(sd[k], sd23[k]), k
    V = sd["embed_tokens.weight"].shape[0]
    cls = FamilyKV if kv else fm.FamilyLM
    model = cls(fm.CONFIGS[arch], V)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in sd.items()}, strict=True)
    if fm.CONFIGS[arch]["tie_embeddings"]:
        assert model.lm_head.weight is model.embed_tokens.weight
    model.eval()
    return model, V


# ----------------------------------------------------------------------------
# tinygpt-shakespeare (GPT-2 style)
# ----------------------------------------------------------------------------

TINYGPT_CFG = dict(vocab=65, d=256, n_layer=4, n_head=4, ctx=128, ffn=1024, eps=1e-5)


class GPTAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d"]
        self.n_head = cfg["n_head"]
        self.hd = d // self.n_head
        self.d = d
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def _qkv(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).split(self.d, dim=2)
        q = q.view(b, t, self.n_head, self.hd).transpose(1, 2)
        k = k.view(b, t, self.n_head, self.hd).transpose(1, 2)
        v = v.view(b, t, self.n_head, self.hd).transpose(1, 2)
        return q, k, v

    def _attend(self, q, k, v, mask, b, t):
        att = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.hd))
        att = att.masked_fill(mask, NEG)
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v)
        y = y.transpose(1, 2).reshape(b, t, self.d)
        return self.proj(y)

    def forward(self, x, mask):
        b, t, _ = x.shape
        q, k, v = self._qkv(x)
        return self._attend(q, k, v, mask, b, t)


class GPTKVAttention(GPTAttention):
    def forward(self, x, mask, past_k, past_v):
        b, t, _ = x.shape
        q, k, v = self._qkv(x)
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        return self._attend(q, k, v, mask, b, t), k, v


class GPTMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.fc1 = nn.Linear(cfg["d"], cfg["ffn"])
        self.act = nn.GELU()
        self.fc2 = nn.Linear(cfg["ffn"], cfg["d"])

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class GPTBlock(nn.Module):
    def __init__(self, cfg, kv=False):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg["d"], eps=cfg["eps"])
        self.attn = (GPTKVAttention if kv else GPTAttention)(cfg)
        self.ln2 = nn.LayerNorm(cfg["d"], eps=cfg["eps"])
        self.mlp = GPTMLP(cfg)

    def forward(self, x, mask, past_k=None, past_v=None):
        if past_k is None:
            x = x + self.attn(self.ln1(x), mask)
            return x + self.mlp(self.ln2(x))
        a, pk, pv = self.attn(self.ln1(x), mask, past_k, past_v)
        x = x + a
        return x + self.mlp(self.ln2(x)), pk, pv


class TinyGPT(nn.Module):
    """Reconstruction of tinygpt-shakespeare (full-window forward)."""

    def __init__(self, cfg=TINYGPT_CFG, kv=False):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg["vocab"], cfg["d"])
        self.pos_emb = nn.Embedding(cfg["ctx"], cfg["d"])
        self.blocks = nn.ModuleList([GPTBlock(cfg, kv) for _ in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(cfg["d"], eps=cfg["eps"])
        self.lm_head = nn.Linear(cfg["d"], cfg["vocab"])
        mask = torch.triu(torch.ones(cfg["ctx"], cfg["ctx"], dtype=torch.bool), diagonal=1)
        self.register_buffer("causal_mask", mask, persistent=False)

    def forward(self, input_ids):
        t = input_ids.shape[1]
        x = self.tok_emb(input_ids) + self.pos_emb(torch.arange(t))[None]
        mask = self.causal_mask[:t, :t]
        for blk in self.blocks:
            x = blk(x, mask)
        return self.lm_head(self.ln_f(x))


class TinyGPTKV(TinyGPT):
    def __init__(self, cfg=TINYGPT_CFG):
        super().__init__(cfg, kv=True)
        self.n_layer = cfg["n_layer"]
        self.kv_heads = cfg["n_head"]
        self.head_dim = cfg["d"] // cfg["n_head"]

    def forward(self, input_ids, attention_mask, position_ids, *past):
        t = input_ids.shape[1]
        past_len = past[0].shape[2]
        x = self.tok_emb(input_ids) + self.pos_emb(position_ids)
        mask = kv_causal_mask(attention_mask, t, past_len)
        presents = []
        for i, blk in enumerate(self.blocks):
            x, pk, pv = blk(x, mask, past[2 * i], past[2 * i + 1])
            presents += [pk, pv]
        return (self.lm_head(self.ln_f(x)), *presents)


def tinygpt_state():
    inits, _ = onnx_inits(os.path.join(TINYGPT_DIR, "model.onnx"))
    sd = {}
    for k, v in inits.items():
        if k.endswith(".weight_t"):
            sd[k[:-len("_t")]] = v.T
        else:
            sd[k] = v
    return {k: np.ascontiguousarray(v.astype(np.float32)) for k, v in sd.items()}


def load_tinygpt(kv=False):
    model = TinyGPTKV() if kv else TinyGPT()
    sd = tinygpt_state()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in sd.items()}, strict=True)
    model.eval()
    return model, TINYGPT_CFG["vocab"]


# ----------------------------------------------------------------------------

ARCHS = {
    "llama": dict(dir=fm.model_dir("llama"), load=lambda kv: load_family("llama", kv),
                  static_onnx="model-opset17.onnx"),
    "qwen2": dict(dir=fm.model_dir("qwen2"), load=lambda kv: load_family("qwen2", kv),
                  static_onnx="model-opset17.onnx"),
    "tinygpt": dict(dir=TINYGPT_DIR, load=lambda kv: load_tinygpt(kv),
                    static_onnx="model.onnx"),
}
