#!/usr/bin/python3
"""Writes float-layers.onnx for float-layers.test: one quantizable MatMul
('fc'), one excluded by name ('head'), a MatMul whose 64x128 weight is
Mul(W, 2) of an initializer (not folded: too large for import folding),
a MatMul with a rank-3 constant weight, and a ConvTranspose."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)


def init(name, shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


nodes = [
    helper.make_node("MatMul", ["x", "w_fc"], ["h"], name="fc"),
    helper.make_node("Mul", ["w_big", "two"], ["w_scaled"], name="scale_w"),
    helper.make_node("MatMul", ["h", "w_scaled"], ["h2"], name="scaled_matmul"),
    helper.make_node("MatMul", ["h2", "w_head"], ["y"], name="head"),
    helper.make_node("MatMul", ["x3", "w_batched"], ["y3"], name="batched_matmul"),
    helper.make_node("ConvTranspose", ["img", "w_deconv"], ["up"], name="deconv",
                     strides=[2, 2]),
]
graph = helper.make_graph(
    nodes, "float_layers",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32]),
     helper.make_tensor_value_info("x3", TensorProto.FLOAT, [2, 3, 4]),
     helper.make_tensor_value_info("img", TensorProto.FLOAT, [1, 2, 4, 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16]),
     helper.make_tensor_value_info("y3", TensorProto.FLOAT, [2, 3, 5]),
     helper.make_tensor_value_info("up", TensorProto.FLOAT, [1, 3, 9, 9])],
    [init("w_fc", [32, 64]), init("w_big", [64, 128]),
     numpy_helper.from_array(np.array(2.0, np.float32), "two"),
     init("w_head", [128, 16]), init("w_batched", [2, 4, 5]),
     init("w_deconv", [2, 3, 3, 3])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.save(model, sys.argv[1])
