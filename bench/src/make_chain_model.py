#!/usr/bin/python3
"""Writes an ONNX model that is a chain of N element-wise nodes.

usage: make_chain_model.py N OP OUT.onnx   (OP: Add, Relu, Neg, ...)
Binary ops take the graph input `x` as their second operand.
"""
import sys

import onnx
from onnx import TensorProto, helper

n, op, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
binary = op in ("Add", "Sub", "Mul", "Max", "Min")
nodes = [helper.make_node(op, ["v%d" % i] + (["x"] if binary else []),
                          ["v%d" % (i + 1)], name="%s%d" % (op.lower(), i))
         for i in range(n)]
inputs = [helper.make_tensor_value_info("v0", TensorProto.FLOAT, [1, 64])]
if binary:
    inputs.append(helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                [1, 64]))
graph = helper.make_graph(nodes, "chain", inputs, [
    helper.make_tensor_value_info("v%d" % n, TensorProto.FLOAT, [1, 64])])
onnx.save(helper.make_model(graph, opset_imports=[
    helper.make_opsetid("", 17)]), out)
