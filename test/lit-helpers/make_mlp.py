#!/usr/bin/env python3
"""Writes a small two-layer MLP as ONNX for the GEMV lit tests.

usage: make_mlp.py OUT.onnx X.npy --batch B [--in K] [--hidden H] [--out N]

y = Gemm(Relu(MatMul(x, W1) + b1), W2^T, b2) with x [B, 1, K] (the rank-3
activation of a decoder step), random N(0, 0.05) weights (seed 0) and an
input X.npy of B rows (seed 1).
"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("output")
    ap.add_argument("input")
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--in", dest="k", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=96)
    ap.add_argument("--out", type=int, default=37)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    w1 = (rng.standard_normal((a.k, a.hidden)) * 0.05).astype(np.float32)
    b1 = (rng.standard_normal(a.hidden) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((a.out, a.hidden)) * 0.05).astype(np.float32)
    b2 = (rng.standard_normal(a.out) * 0.1).astype(np.float32)
    flat = helper.make_node("Reshape", ["h", "shape"], ["h2"], name="flatten")
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["m"], name="fc1"),
        helper.make_node("Add", ["m", "b1"], ["a"], name="bias1"),
        helper.make_node("Relu", ["a"], ["h"], name="relu"),
        flat,
        helper.make_node("Gemm", ["h2", "w2", "b2"], ["y"], name="fc2",
                         transB=1),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       [a.batch, 1, a.k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       [a.batch, a.out])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
         numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2"),
         numpy_helper.from_array(np.array([a.batch, a.hidden], np.int64),
                                 "shape")])
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), a.output)
    x = np.random.default_rng(1).standard_normal((a.batch, 1, a.k))
    np.save(a.input, x.astype(np.float32))


if __name__ == "__main__":
    main()
