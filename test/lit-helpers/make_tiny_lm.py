#!/usr/bin/python3
"""Builds a tiny ONNX "language model" with seeded random weights, token
rows, and a numpy reference of its next-token NLL for quantc-eval tests.

usage: make_tiny_lm.py OUT_DIR [--batch B] [--rows N] [--seq T] [--vocab V]

The model is Gather (embedding [V, 8]) -> MatMul [8, V] -> Add [V]: input
`input_ids` int64 [B, T] -> output `logits` float32 [B, T, V]. Writes
OUT_DIR/model.onnx, OUT_DIR/tokens.npy (int64 [N, T]) and
OUT_DIR/expected.json with the mean NLL over the N * (T - 1) next-token
predictions (and each row's summed NLL), computed in float64 from the
float32 weights.
"""
import argparse
import json
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--rows", type=int, default=5)
    ap.add_argument("--seq", type=int, default=6)
    ap.add_argument("--vocab", type=int, default=11)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    b, n, t, v, d = args.batch, args.rows, args.seq, args.vocab, 8

    rng = np.random.default_rng(1234)
    emb = rng.normal(0, 1.0, (v, d)).astype(np.float32)
    w = rng.normal(0, 0.7, (d, v)).astype(np.float32)
    bias = rng.normal(0, 0.5, (v,)).astype(np.float32)
    tokens = rng.integers(0, v, (n, t), dtype=np.int64)

    nodes = [
        helper.make_node("Gather", ["emb", "input_ids"], ["h"], name="embed"),
        helper.make_node("MatMul", ["h", "w"], ["m"], name="head"),
        helper.make_node("Add", ["m", "bias"], ["logits"], name="head_bias"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_lm",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [b, t])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [b, t, v])],
        [numpy_helper.from_array(emb, "emb"), numpy_helper.from_array(w, "w"),
         numpy_helper.from_array(bias, "bias")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(args.out, "model.onnx"))
    np.save(os.path.join(args.out, "tokens.npy"), tokens)

    # Reference: float64 log-softmax of the float32 model's logits.
    logits = (emb.astype(np.float64)[tokens] @ w.astype(np.float64)
              + bias.astype(np.float64))  # [N, T, V]
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    targets = tokens[:, 1:]
    picked = np.take_along_axis(logp[:, :-1, :], targets[..., None], axis=-1)
    nll = float(-picked.mean())
    row_nll = [float(x) for x in -picked[..., 0].sum(axis=1)]
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump({"windows": n, "predictions": n * (t - 1), "nll_nats": nll,
                   "perplexity": math.exp(nll), "row_nll": row_nll}, f,
                  indent=2)


if __name__ == "__main__":
    main()
