#!/usr/bin/python3
"""Writes an ONNX model: x [1, D] through N MatMuls by random D x D FP32
weights (N(0, 0.02), seed 0), the weights as external data (one file), so
compile memory can be measured against a known weight size.

usage: make_linear_chain.py N D OUT.onnx
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

n, d, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(0)
nodes, inits = [], []
for i in range(n):
    w = rng.standard_normal((d, d), dtype=np.float32) * np.float32(0.02)
    inits.append(numpy_helper.from_array(w, "w%d" % i))
    nodes.append(helper.make_node("MatMul", ["v%d" % i, "w%d" % i],
                                  ["v%d" % (i + 1)], name="mm%d" % i))
graph = helper.make_graph(
    nodes, "chain", [helper.make_tensor_value_info("v0", TensorProto.FLOAT, [1, d])],
    [helper.make_tensor_value_info("v%d" % n, TensorProto.FLOAT, [1, d])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.save(model, out, save_as_external_data=True, all_tensors_to_one_file=True,
          location=os.path.basename(out) + ".data")
