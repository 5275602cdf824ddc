#!/usr/bin/python3
"""Writes dead-input.onnx for calibration-errors.test: 'fc1' reads x, 'fc2'
reads Mul(fc1, 0) -- an input that is zero for every calibration sample."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)
w1 = numpy_helper.from_array(rng.standard_normal((16, 16)).astype(np.float32), "w1")
w2 = numpy_helper.from_array(rng.standard_normal((16, 8)).astype(np.float32), "w2")
zero = numpy_helper.from_array(np.array(0.0, np.float32), "zero")
nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
         helper.make_node("Mul", ["h", "zero"], ["h0"], name="silence"),
         helper.make_node("MatMul", ["h0", "w2"], ["y"], name="fc2")]
graph = helper.make_graph(
    nodes, "dead_input", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 16])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])], [w1, w2, zero])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.save(model, sys.argv[1])
np.save(sys.argv[2], rng.standard_normal((8, 4, 16)).astype(np.float32))
