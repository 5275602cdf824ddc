#!/usr/bin/python3
"""Builds hand-made broken ONNX models and checks quantc's answer to each.

usage: run_malformed.py --quantc QUANTC --workdir DIR

Every case must make quantc exit with status 1 (not a crash: no signal, no
other code), print exactly one 'quantc: error:' line containing the expected
text (which names the file and, for node errors, the node, op and opset),
and leave no output file behind. Prints one line per case and
'N passed, M failed'; exits 1 if any case failed.
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def model(nodes, inputs, outputs, inits=(), opset=17, domain_opsets=()):
    graph = helper.make_graph(nodes, "broken", inputs, outputs, list(inits))
    opsets = [helper.make_opsetid("", opset)] + list(domain_opsets)
    return helper.make_model(graph, opset_imports=opsets)


def vi(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def relu_model(**kw):
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                 [vi("x", [2, 3])], [vi("y", [2, 3])], **kw)


def external(name, location, offset=None, length=None):
    t = TensorProto()
    t.name = name
    t.data_type = F
    t.dims.extend([2, 2])
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset),
                       ("length", length)):
        if value is not None:
            e = t.external_data.add()
            e.key, e.value = key, str(value)
    return t


def matmul_with(init):
    return model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                 [vi("x", [2, 2])], [vi("y", [2, 2])], [init])


def cases(work):
    """(file name, bytes or ModelProto, extra args, expected text)."""
    good = relu_model().SerializeToString()
    yield "truncated.onnx", good[:len(good) // 2], [], \
        "not a valid ONNX protobuf (truncated or corrupt file?)"
    yield "garbage.onnx", bytes(range(256)) * 4, [], "not a valid ONNX protobuf"
    yield "empty.onnx", b"", [], "model has no graph"
    yield "no-graph.onnx", onnx.ModelProto(ir_version=8), [], \
        "model has no graph"

    cycle = model([helper.make_node("Relu", ["b"], ["a"], name="first"),
                   helper.make_node("Relu", ["a"], ["b"], name="second")],
                  [vi("x", [2])], [vi("b", [2])])
    yield "cycle.onnx", cycle, [], \
        "node 'first' (Relu, opset 17): input 'b' is not produced by any " \
        "earlier node, initializer or graph input (dangling input or cycle)"
    dangling = model([helper.make_node("Relu", ["nowhere"], ["y"],
                                       name="relu")],
                     [vi("x", [2])], [vi("y", [2])])
    yield "dangling.onnx", dangling, [], "input 'nowhere' is not produced"

    w = numpy_helper.from_array(np.ones((2, 2), np.float32), "w")
    w.raw_data = w.raw_data[:12]
    yield "raw-data-size.onnx", matmul_with(w), [], \
        "tensor 'w' holds 12 bytes of data but its shape needs 16"
    w = TensorProto(name="w", data_type=F, dims=[2, 2],
                    float_data=[1.0, 2.0, 3.0])
    yield "float-data-count.onnx", matmul_with(w), [], \
        "tensor 'w' holds 12 bytes of data but its shape needs 16"
    w = TensorProto(name="w", data_type=F, dims=[2, -2])
    yield "negative-dim.onnx", matmul_with(w), [], \
        "tensor 'w' has invalid dimension -2"

    with open(os.path.join(work, "weights.bin"), "wb") as f:
        f.write(np.ones(4, np.float32).tobytes())
    yield "external-escape.onnx", matmul_with(external("w", "../weights.bin")), \
        [], "external data location '../weights.bin' escapes the model's directory"
    yield "external-absolute.onnx", matmul_with(external("w", "/etc/passwd")), \
        [], "external data location '/etc/passwd' escapes the model's directory"
    yield "external-missing.onnx", matmul_with(external("w", "nope.bin")), [], \
        "cannot read external data"
    yield "external-range.onnx", matmul_with(
        external("w", "weights.bin", offset=8, length=16)), [], \
        "external data range [8, 24) is outside 'weights.bin' (16 bytes)"

    unsupported = model([helper.make_node("NonMaxSuppression", ["x"], ["y"],
                                          name="nms")],
                        [vi("x", [2])], [vi("y", [2])])
    yield "unsupported-op.onnx", unsupported, [], \
        "node 'nms' (NonMaxSuppression, opset 17): unsupported op " \
        "'NonMaxSuppression'"
    custom = model([helper.make_node("Foo", ["x"], ["y"], name="foo",
                                     domain="com.example")],
                   [vi("x", [2])], [vi("y", [2])],
                   domain_opsets=[helper.make_opsetid("com.example", 1)])
    yield "custom-domain.onnx", custom, [], \
        "node 'foo' (Foo, opset 17): unsupported domain 'com.example'"
    no_opset = relu_model()
    del no_opset.opset_import[:]
    yield "no-opset.onnx", no_opset, [], "model imports no default-domain opset"
    missing_output = model([helper.make_node("Relu", ["x"], ["y"],
                                             name="relu")],
                           [vi("x", [2])], [vi("z", [2])])
    yield "missing-output.onnx", missing_output, [], \
        "graph output 'z' is not produced by any node"
    symbolic = model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                     [vi("x", ["batch", 3])], [vi("y", ["batch", 3])])
    yield "symbolic.onnx", symbolic, [], \
        "graph input 'x' has symbolic dimension 'batch' (dimension 0)"
    yield "pin-conflict.onnx", relu_model(), ["--input-shape", "x=4x3"], \
        "--input-shape for 'x' sets dimension 0 to 4 but the model fixes it to 2"

    channels = model([helper.make_node("Conv", ["x", "w"], ["y"],
                                       name="conv")],
                     [vi("x", [1, 2, 8])], [vi("y", [1, 1, 6])],
                     [numpy_helper.from_array(np.ones((1, 3, 3), np.float32),
                                              "w")])
    yield "conv-channels.onnx", channels, [], \
        "node 'conv' (Conv, opset 17): input channels 2 and weight [1,3,3] " \
        "do not match group 1"
    autopad = model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv",
                                      auto_pad="SOMETIMES")],
                    [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 2, 2])],
                    [numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32),
                                             "w")])
    yield "conv-auto-pad.onnx", autopad, [], \
        "node 'conv' (Conv, opset 17): unsupported auto_pad 'SOMETIMES'"
    perm = model([helper.make_node("Transpose", ["x"], ["y"], name="t",
                                   perm=[0, 0])],
                 [vi("x", [2, 3])], [vi("y", [3, 2])])
    yield "bad-perm.onnx", perm, [], \
        "node 't' (Transpose, opset 17): perm is not a permutation"
    concat = model([helper.make_node("Concat", ["x", "z"], ["y"], name="cat",
                                     axis=0)],
                   [vi("x", [2, 3]), vi("z", [2, 4])], [vi("y", [4, 3])])
    yield "concat-shapes.onnx", concat, [], \
        "node 'cat' (Concat, opset 17): inputs 'tensor<2x3xf32>' and " \
        "'tensor<2x4xf32>' differ outside axis 0"
    reshape = model([helper.make_node("Reshape", ["x", "s"], ["y"],
                                      name="rs")],
                    [vi("x", [2, 3])], [vi("y", [6])],
                    [numpy_helper.from_array(np.array([-1, -1], np.int64),
                                             "s")])
    yield "reshape-two-unknown.onnx", reshape, [], \
        "node 'rs' (Reshape, opset 17): shape has more than one -1"
    split = model([helper.make_node("Split", ["x", "s"], ["a", "b"],
                                    name="split", axis=1)],
                  [vi("x", [2, 6])], [vi("a", [2, 2]), vi("b", [2, 2])],
                  [numpy_helper.from_array(np.array([2, 2], np.int64), "s")])
    yield "split-sizes.onnx", split, [], \
        "node 'split' (Split, opset 17): split sizes do not add up to " \
        "dimension 1 (6) over 2 outputs"
    gather = model([helper.make_node("Gather", ["x", "i"], ["y"],
                                     name="gather")],
                   [vi("x", [4, 3]), vi("i", [2])], [vi("y", [2, 3])])
    yield "gather-float-indices.onnx", gather, [], \
        "node 'gather' (Gather, opset 17): indices must be int32 or int64, " \
        "got 'f32'"
    strings = model([helper.make_node("Identity", ["x"], ["y"], name="id")],
                    [vi("x", [2], TensorProto.STRING)],
                    [vi("y", [2], TensorProto.STRING)])
    yield "string-input.onnx", strings, [], \
        "graph input 'x' has unsupported element type 8"
    softmax = model([helper.make_node("Softmax", ["x"], ["y"], name="sm")],
                    [vi("x", [2, 3], TensorProto.INT64)],
                    [vi("y", [2, 3], TensorProto.INT64)])
    yield "softmax-int.onnx", softmax, [], \
        "node 'sm' (Softmax, opset 17): requires a float input"
    matmul = model([helper.make_node("MatMul", ["x", "z"], ["y"],
                                     name="mm")],
                   [vi("x", [2, 3]), vi("z", [4, 2])], [vi("y", [2, 2])])
    yield "matmul-k.onnx", matmul, [], \
        "node 'mm' (MatMul, opset 17): A 'tensor<2x3xf32>' and B " \
        "'tensor<4x2xf32>' disagree on K"
    # A float8 (FLOAT8E4M3FN = 17) zero point; onnx 1.12 has no name for it.
    zp = TensorProto()
    zp.name, zp.data_type, zp.raw_data = "zp", 17, b"\x00"
    float8 = model([helper.make_node("QuantizeLinear", ["x", "s", "zp"],
                                     ["y"], name="q")],
                   [vi("x", [2])], [vi("y", [2], TensorProto.UINT8)],
                   [numpy_helper.from_array(np.array(0.5, np.float32), "s"),
                    zp], opset=21)
    yield "float8-zero-point.onnx", float8, [], \
        "tensor 'zp' has unsupported data type 17 (FLOAT8E4M3FN)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quantc", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    quantc = shutil.which(args.quantc) or args.quantc
    os.makedirs(args.workdir, exist_ok=True)
    passed = failed = 0
    for name, content, extra, expected in cases(args.workdir):
        path = os.path.join(args.workdir, name)
        with open(path, "wb") as f:
            f.write(content if isinstance(content, bytes)
                    else content.SerializeToString())
        out = path + ".exe"
        proc = subprocess.run([quantc, path, "-o", out] + extra,
                              capture_output=True, text=True, timeout=120)
        errors = [l for l in proc.stderr.splitlines()
                  if l.startswith("quantc: error:")]
        problems = []
        if proc.returncode != 1:
            problems.append("exit status %d" % proc.returncode)
        if len(errors) != 1:
            problems.append("%d error lines" % len(errors))
        if not any(expected in e and name in e for e in errors):
            problems.append("expected %r naming the file" % expected)
        if os.path.exists(out):
            problems.append("left %s behind" % out)
        if problems:
            failed += 1
            print("FAIL %s: %s\n  stderr: %s" % (name, "; ".join(problems),
                                                 proc.stderr.strip()))
        else:
            passed += 1
            print("ok   %s: %s" % (name, errors[0]))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
