"""Renames graph input or output OLD to NEW everywhere in an ONNX model
(a model-kv export that almost fits the convention), for lit tests.

usage: rename_kv_input.py IN.onnx OLD NEW OUT.onnx
"""
import sys

import onnx

src, old, new, dst = sys.argv[1:5]
m = onnx.load(src)
for v in list(m.graph.input) + list(m.graph.output):
    if v.name == old:
        v.name = new
for n in m.graph.node:
    for i, x in enumerate(n.input):
        if x == old:
            n.input[i] = new
    for i, x in enumerate(n.output):
        if x == old:
            n.output[i] = new
onnx.save(m, dst)
