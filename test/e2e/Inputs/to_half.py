#!/usr/bin/python3
"""Rewrites a float32 ONNX model in half precision, as users get them.

usage: to_half.py IN.onnx OUT.onnx all|weights f16|bf16

all:     every float tensor (initializers, Constant values, Cast targets,
         outputs) becomes f16/bf16: the model computes in half precision.
weights: only the 2-D initializers (the layer weights) are stored in
         f16/bf16, each followed by a Cast back to float.
bfloat16 is rounded to nearest even by hand (numpy has no bfloat16).
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def convert(t, dtype):
    a = numpy_helper.to_array(t)
    if a.dtype != np.float32:
        return t
    if dtype == TensorProto.FLOAT16:
        return numpy_helper.from_array(
            np.clip(a, -65504, 65504).astype(np.float16), t.name)
    bits = a.view(np.uint32).astype(np.uint64)
    bits = (bits + np.uint64(0x7FFF) + ((bits >> np.uint64(16)) & np.uint64(1))) >> np.uint64(16)
    return helper.make_tensor(t.name, TensorProto.BFLOAT16, a.shape,
                              bits.astype(np.uint16).tobytes(), raw=True)


def main():
    src, dst, mode, kind = sys.argv[1:5]
    dtype = TensorProto.FLOAT16 if kind == "f16" else TensorProto.BFLOAT16
    m = onnx.load(src)
    g = m.graph
    if mode == "all":
        for i, t in enumerate(list(g.initializer)):
            g.initializer[i].CopyFrom(convert(t, dtype))
        for n in g.node:
            for a in n.attribute:
                if a.name == "value" and a.t.data_type == TensorProto.FLOAT:
                    a.t.CopyFrom(convert(a.t, dtype))
                if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                    a.i = dtype
        for v in list(g.output) + list(g.value_info):
            if v.type.tensor_type.elem_type == TensorProto.FLOAT:
                v.type.tensor_type.elem_type = dtype
    else:
        casts = []
        for i, t in enumerate(list(g.initializer)):
            if len(t.dims) != 2:
                continue
            name = t.name
            g.initializer[i].CopyFrom(convert(t, dtype))
            g.initializer[i].name = name + ".half"
            casts.append(helper.make_node("Cast", [name + ".half"], [name],
                                          to=TensorProto.FLOAT,
                                          name="cast_" + name))
        for n in reversed(casts):
            g.node.insert(0, n)
    onnx.save(m, dst)


if __name__ == "__main__":
    main()
