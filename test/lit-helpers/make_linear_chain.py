#!/usr/bin/python3
"""Writes an ONNX model: x [1, D] through N MatMuls by random D x D FP32
weights (N(0, 0.02), seed 0), the weights as external data (one file), so
compile memory can be measured against a known weight size.

usage: make_linear_chain.py N D OUT.onnx [--ref DIR]

--ref DIR also writes DIR/x.npy (an input, N(0, 1)) and DIR/ref.npy (the
chain's output for it, computed by numpy in float64).
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ap = argparse.ArgumentParser()
ap.add_argument("n", type=int)
ap.add_argument("d", type=int)
ap.add_argument("out")
ap.add_argument("--ref")
a = ap.parse_args()
n, d, out = a.n, a.d, a.out
rng = np.random.default_rng(0)
nodes, inits = [], []
x = rng.standard_normal((1, d)).astype(np.float32)
y = x.astype(np.float64)
for i in range(n):
    w = rng.standard_normal((d, d), dtype=np.float32) * np.float32(0.02)
    y = y @ w.astype(np.float64)
    inits.append(numpy_helper.from_array(w, "w%d" % i))
    nodes.append(helper.make_node("MatMul", ["v%d" % i, "w%d" % i],
                                  ["v%d" % (i + 1)], name="mm%d" % i))
graph = helper.make_graph(
    nodes, "chain", [helper.make_tensor_value_info("v0", TensorProto.FLOAT, [1, d])],
    [helper.make_tensor_value_info("v%d" % n, TensorProto.FLOAT, [1, d])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.save(model, out, save_as_external_data=True, all_tensors_to_one_file=True,
          location=os.path.basename(out) + ".data")
if a.ref:
    np.save(os.path.join(a.ref, "x.npy"), x)
    np.save(os.path.join(a.ref, "ref.npy"), y.astype(np.float32))
