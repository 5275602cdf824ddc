#!/usr/bin/python3
"""Exports small PyTorch models with torch.onnx.export at opsets 13-17 and
saves their inputs and PyTorch's outputs as the reference.

Needs Debian's python3-torch (1.13), which the tests do not: the exported
.onnx files and .npy references are checked in next to this script.
Regenerate with: /usr/bin/python3 test/torch-models/make_torch_models.py
"""
import os

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class SmallCNN(nn.Module):
    """Conv/BN/ReLU blocks with max and average pooling, a grouped and a
    strided conv, global pooling and a classifier."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1, groups=2), nn.BatchNorm2d(16),
            nn.LeakyReLU(0.1),
            nn.AvgPool2d(2, ceil_mode=True),
            nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.Hardswish())
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(16, 10))

    def forward(self, x):
        return self.head(self.features(x))


class Block(nn.Module):
    """A pre-LayerNorm transformer block with causal attention and GELU."""

    def __init__(self, d=32, heads=4):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.heads = heads
        self.register_buffer("mask", torch.tril(torch.ones(64, 64)).bool())

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        shape = (b, t, self.heads, d // self.heads)
        q, k, v = (y.reshape(shape).transpose(1, 2) for y in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / (d // self.heads) ** 0.5
        att = att.masked_fill(~self.mask[:t, :t], float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x))))


class SeparateQKVBlocks(nn.Module):
    """Two pre-LayerNorm blocks whose attention has separate q/k/v
    projections reading the same LayerNorm output (the layout of LLaMA,
    Qwen2, Mistral): calibration once crashed on it."""

    def __init__(self, d=32, heads=4, n=2):
        super().__init__()
        self.blocks = nn.ModuleList(SeparateQKVBlock(d, heads) for _ in range(n))

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


class SeparateQKVBlock(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.q, self.k, self.v = (nn.Linear(d, d) for _ in range(3))
        self.proj = nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.heads = heads
        self.register_buffer("mask", torch.tril(torch.ones(64, 64)).bool())

    def forward(self, x):
        b, t, d = x.shape
        h = self.ln1(x)
        shape = (b, t, self.heads, d // self.heads)
        q, k, v = (m(h).reshape(shape).transpose(1, 2)
                   for m in (self.q, self.k, self.v))
        att = (q @ k.transpose(-2, -1)) / (d // self.heads) ** 0.5
        att = att.masked_fill(~self.mask[:t, :t], float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x))))


def export(name, model, x, opset):
    model.eval()
    torch.manual_seed(0)
    with torch.no_grad():
        # Non-trivial BatchNorm statistics.
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        y = model(x)
    out = os.path.join(HERE, f"{name}-opset{opset}")
    os.makedirs(out, exist_ok=True)
    torch.onnx.export(model, (x,), os.path.join(out, "model.onnx"),
                      input_names=["x"], output_names=["y"],
                      opset_version=opset, do_constant_folding=True)
    np.save(os.path.join(out, "x.npy"), x.numpy())
    np.save(os.path.join(out, "y.npy"), y.numpy())


def main():
    torch.manual_seed(0)
    cnn = SmallCNN()
    block = Block()
    xc = torch.randn(2, 3, 16, 16)
    xt = torch.randn(1, 12, 32)
    for opset in (13, 15, 17):
        export("cnn", cnn, xc, opset)
        export("block", block, xt, opset)
    torch.manual_seed(1)
    qkv = SeparateQKVBlocks()
    export("qkv-blocks", qkv, torch.randn(1, 12, 32), 17)
    # Calibration samples for the quantized modes: 8 sequences.
    np.save(os.path.join(HERE, "qkv-blocks-opset17", "calib.npy"),
            torch.randn(8, 1, 12, 32).numpy())


if __name__ == "__main__":
    main()
