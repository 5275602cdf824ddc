#!/usr/bin/python3
"""Exports a deep LLaMA-style decoder (the family model of scripts/family with
more layers and wider layers; random weights) with torch.onnx.export, to
time compilation on a graph of real-export size (thousands of nodes).

usage: make_deep_decoder.py LAYERS D_MODEL OUT.onnx [CALIB.npy]
Writes the ONNX model (opset 17, [1, 128] input_ids) and, if asked, 8
random calibration windows [8, 128] int64.
"""
import os
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "scripts", "family"))
import family_model as fm  # noqa: E402

layers, d_model, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
vocab = 256
torch.manual_seed(0)
cfg = dict(fm.CONFIGS["llama"], n_layer=layers, d_model=d_model,
           ffn=3 * d_model, n_head=d_model // 32, n_kv_head=d_model // 128)
model = fm.FamilyLM(cfg, vocab).eval()
x = torch.zeros(1, fm.CTX, dtype=torch.long)
torch.onnx.export(model, (x,), out, input_names=["input_ids"],
                  output_names=["logits"], opset_version=17,
                  do_constant_folding=True)
m = onnx.load(out)
print("%d layers, d_model %d: %d nodes, %d parameters" % (
    layers, d_model, len(m.graph.node), fm.param_count(model)))
if len(sys.argv) > 4:
    rng = np.random.default_rng(0)
    np.save(sys.argv[4], rng.integers(0, vocab, (8, fm.CTX), dtype=np.int64))
