"""LLaMA / Qwen2 style character-level test models ("the models people quantize").

Shared by every script of the llama-family example (data, training, export,
reference quantization). Two architectures over one corpus:

  llama : no biases, untied LM head (separate nn.Linear), RMSNorm eps 1e-5
  qwen2 : q/k/v projections with bias, LM head tied to the embedding, eps 1e-6

Common: context 128, d_model 128, 4 decoder layers, 8 query heads, 2 KV heads
(head_dim 16, grouped-query attention, HF `repeat_kv`), rotate-half RoPE with
theta 10000, RMSNorm, SwiGLU MLP (FFN 384), pre-norm residual blocks, final
RMSNorm, causal softmax attention scaled by 1/sqrt(head_dim).

Module and parameter names follow Hugging Face (`embed_tokens`,
`layers.{i}.self_attn.{q,k,v,o}_proj`, `layers.{i}.mlp.{gate,up,down}_proj`,
`layers.{i}.input_layernorm`, `layers.{i}.post_attention_layernorm`, `norm`,
`lm_head`).

The corpus: the plain-text files of Debian's `fortunes` packages.
"""
import hashlib
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FORTUNES_DIR = "/usr/share/games/fortunes"
CTX = 128


# ----------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------

def fortune_files(root=FORTUNES_DIR):
    """Plain-text fortune files in sorted filename order (no *.dat, *.u8,
    symlinks or directories)."""
    out = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if name.endswith(".dat") or name.endswith(".u8"):
            continue
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        out.append(name)
    return out


def build_corpus(root=FORTUNES_DIR):
    """Returns (text, files). Concatenation of the files, decoded as UTF-8 with
    replacement, keeping printable ASCII (32..126) and '\\n', dropping lines that
    are exactly '%' (the fortune separators)."""
    files = fortune_files(root)
    parts = []
    for name in files:
        with open(os.path.join(root, name), "rb") as f:
            raw = f.read().decode("utf-8", errors="replace")
        parts.append(raw)
    text = "".join(parts)
    text = "".join(c for c in text if c == "\n" or 32 <= ord(c) <= 126)
    lines = text.split("\n")
    text = "\n".join(l for l in lines if l != "%")
    return text, files


def corpus_md5(text):
    return hashlib.md5(text.encode("ascii")).hexdigest()


def make_vocab(text):
    itos = sorted(set(text))
    stoi = {c: i for i, c in enumerate(itos)}
    return itos, stoi


def split_bounds(n):
    """Contiguous 90/5/5 split: train [0,a), val [a,b), test [b,n)."""
    a = int(n * 0.90)
    b = int(n * 0.95)
    return a, b


def encode(text, stoi):
    return np.array([stoi[c] for c in text], dtype=np.int64)


def load_splits():
    """Returns dict with ids, itos, stoi, train/val/test id arrays."""
    text, files = build_corpus()
    itos, stoi = make_vocab(text)
    ids = encode(text, stoi)
    a, b = split_bounds(len(ids))
    return {
        "text": text, "files": files, "itos": itos, "stoi": stoi, "ids": ids,
        "train": ids[:a], "val": ids[a:b], "test": ids[b:], "bounds": (a, b),
    }


def calib_windows(train, n=128, ctx=CTX, seed=0):
    rng = np.random.RandomState(seed)
    offs = rng.randint(0, len(train) - ctx, size=n)
    return np.stack([train[o:o + ctx] for o in offs]).astype(np.int64)


def eval_windows(test, n=64, ctx=CTX):
    """n non-overlapping windows evenly spread over the split."""
    nwin = len(test) // ctx
    assert nwin >= n
    starts = [int(round(i * (nwin - 1) / (n - 1))) * ctx for i in range(n)]
    return np.stack([test[s:s + ctx] for s in starts]).astype(np.int64)


def val_windows(val, n=128, ctx=CTX):
    return eval_windows(val, n=n, ctx=ctx)


# ----------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------

CONFIGS = {
    "llama": dict(arch="llama", d_model=128, n_layer=4, n_head=8, n_kv_head=2,
                  ffn=384, ctx=CTX, rope_theta=10000.0, eps=1e-5,
                  qkv_bias=False, tie_embeddings=False),
    "qwen2": dict(arch="qwen2", d_model=128, n_layer=4, n_head=8, n_kv_head=2,
                  ffn=384, ctx=CTX, rope_theta=10000.0, eps=1e-6,
                  qkv_bias=True, tie_embeddings=True),
}

LINEAR_NAMES = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
                "mlp.down_proj"]


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        x = x.float()
        var = x.pow(2).mean(-1, keepdim=True)
        return x * torch.rsqrt(var + self.eps) * self.weight


def rope_cache(head_dim, ctx, theta):
    """HF LLaMA: inv_freq = theta^(-2i/d); emb = cat(freqs, freqs)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    t = torch.arange(ctx, dtype=torch.float32)
    freqs = torch.outer(t, inv_freq)            # [ctx, head_dim/2]
    emb = torch.cat((freqs, freqs), dim=-1)     # [ctx, head_dim]
    return emb.cos(), emb.sin()


def rotate_half(x):
    h = x.shape[-1] // 2
    x1 = x[..., :h]
    x2 = x[..., h:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n_rep):
    """[B, kvh, T, D] -> [B, kvh*n_rep, T, D] (kv head j serves query heads
    j*n_rep .. j*n_rep+n_rep-1), as HF."""
    if n_rep == 1:
        return x
    b, kvh, t, d = x.shape
    return x[:, :, None, :, :].expand(b, kvh, n_rep, t, d).reshape(b, kvh * n_rep, t, d)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d_model"]
        self.n_head = cfg["n_head"]
        self.n_kv = cfg["n_kv_head"]
        self.hd = d // self.n_head
        bias = cfg["qkv_bias"]
        self.q_proj = nn.Linear(d, self.n_head * self.hd, bias=bias)
        self.k_proj = nn.Linear(d, self.n_kv * self.hd, bias=bias)
        self.v_proj = nn.Linear(d, self.n_kv * self.hd, bias=bias)
        self.o_proj = nn.Linear(self.n_head * self.hd, d, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.n_head, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.n_kv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.n_kv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.n_head // self.n_kv
        k = repeat_kv(k, rep)
        v = repeat_kv(v, rep)
        att = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(self.hd))
        att = att.masked_fill(mask, -1e9)
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v)
        y = y.transpose(1, 2).reshape(b, t, self.n_head * self.hd)
        return self.o_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, f = cfg["d_model"], cfg["ffn"]
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d_model"]
        self.input_layernorm = RMSNorm(d, cfg["eps"])
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(d, cfg["eps"])
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x


class FamilyLM(nn.Module):
    def __init__(self, cfg, vocab):
        super().__init__()
        self.cfg = dict(cfg, vocab=vocab)
        d = cfg["d_model"]
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg["n_layer"])])
        self.norm = RMSNorm(d, cfg["eps"])
        self.tied = cfg["tie_embeddings"]
        self.lm_head = nn.Linear(d, vocab, bias=False)
        if self.tied:
            # HF tie_word_embeddings: one Parameter, two modules; state_dict
            # holds both keys, parameters() yields it once.
            self.lm_head.weight = self.embed_tokens.weight
        hd = d // cfg["n_head"]
        cos, sin = rope_cache(hd, cfg["ctx"], cfg["rope_theta"])
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        mask = torch.triu(torch.ones(cfg["ctx"], cfg["ctx"], dtype=torch.bool), diagonal=1)
        self.register_buffer("causal_mask", mask, persistent=False)
        self.apply(self._init)
        # GPT-2 style scaled init of the residual output projections.
        for n, p in self.named_parameters():
            if n.endswith("o_proj.weight") or n.endswith("down_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg["n_layer"]))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)

    def rope_mask(self, t):
        cos = self.rope_cos[:t]
        sin = self.rope_sin[:t]
        mask = self.causal_mask[:t, :t]
        return cos, sin, mask

    def head(self, x):
        return self.lm_head(self.norm(x))

    def forward(self, input_ids):
        t = input_ids.shape[1]
        cos, sin, mask = self.rope_mask(t)
        x = self.embed_tokens(input_ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.head(x)


def build_model(arch, vocab):
    return FamilyLM(CONFIGS[arch], vocab)


def param_count(model):
    """Distinct parameters (a tied head is counted once)."""
    return sum(p.numel() for p in model.parameters())


# ----------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------

@torch.no_grad()
def eval_nll(model, windows, batch=16):
    """Mean next-token NLL (nats/char): logits at positions 0..T-2 predict
    tokens 1..T-1 of each window (64 x 127 = 8,128 predictions for eval.npy)."""
    x = torch.as_tensor(windows, dtype=torch.long)
    tot, cnt = 0.0, 0
    for i in range(0, x.shape[0], batch):
        xb = x[i:i + batch]
        logits = model(xb)[:, :-1]
        tgt = xb[:, 1:]
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1),
                              reduction="sum")
        tot += nll.item()
        cnt += tgt.numel()
    return tot / cnt


# ----------------------------------------------------------------------------
# Paths
# ----------------------------------------------------------------------------

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE_DIR = os.path.join(REPO, "examples", "llama-family")
WORK_DIR = "/tmp/llama-family"


def model_dir(arch):
    return os.path.join(EXAMPLE_DIR, arch)


def weights_path(arch):
    return os.path.join(WORK_DIR, arch, "weights.pt")


def load_vocab(path):
    with open(path) as f:
        v = json.load(f)
    return v["itos"], v["stoi"]
