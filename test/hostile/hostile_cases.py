"""The hostile-input cases: generated, not hand-picked.

Each generator yields Case objects; run_hostile.py runs them and checks the
contract every one of them shares (see its docstring). Classes:

  structural  graphs that are well-formed protobuf but not valid ONNX
              (duplicate names, missing inputs/outputs, degenerate shapes,
              huge constants and intermediates, wrong attribute types)
  truncation  real models cut at many offsets
  mutation    real models with random structural changes (inputs dropped,
              emptied or rewired, op types swapped, attributes mangled,
              dims and dtypes changed)
  bitflip     real models with one byte changed at many offsets
  driver      misuse of the command line: outputs that name inputs, bad
              option values, missing or odd files
  weights     pathological weights (NaN, inf, huge, zero, denormal rows)
  runtime     hostile inputs to a compiled binary: damaged .npy files and
              out-of-range indices for Gather-like ops

The reference for every "ok" case is numpy, computed here.
"""
import os
import stat
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
I64 = TensorProto.INT64


class Case:
    def __init__(self, cls, name, argv, expect="error", text=None,
                 protect=(), absent=(), check=None, runtime=False,
                 cwd=None):
        self.cls = cls
        self.name = name
        self.argv = argv          # program (quantc or a binary) and args
        self.expect = expect      # "error", "ok" or "any" (error or ok)
        self.text = text          # substring the error line must contain
        self.protect = list(protect)  # files whose bytes must not change
        self.absent = list(absent)    # files that must not exist afterwards
        self.check = check        # for "ok": callable() -> problem or None
        self.runtime = runtime    # errors are the binary's, not quantc's
        self.cwd = cwd            # working directory (default: the runner's)


def vi(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def model(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, "hostile", inputs, outputs, list(inits))
    m = helper.make_model(graph,
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def save(work, name, m):
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(m if isinstance(m, bytes) else m.SerializeToString())
    return path


def compile_case(cls, work, name, m, text, extra=(), expect="error"):
    path = save(work, name + ".onnx", m)
    out = os.path.join(work, name + ".exe")
    return Case(cls, name, ["quantc", path, "-o", out, "--quiet"] +
                list(extra), expect=expect, text=text, protect=[path],
                absent=[out] if expect == "error" else [])


def relu(shape=(2, 3)):
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                 [vi("x", list(shape))], [vi("y", list(shape))])


def structural(work):
    c = "structural"
    yield compile_case(c, work, "dup-input", model(
        [helper.make_node("Add", ["x", "x"], ["y"], name="add")],
        [vi("x", [2]), vi("x", [2])], [vi("y", [2])]),
        "graph input 'x' is declared twice")
    yield compile_case(c, work, "dup-output", model(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        [vi("x", [2])], [vi("y", [2]), vi("y", [2])]),
        "graph output 'y' is declared twice")
    yield compile_case(c, work, "dup-node-output", model(
        [helper.make_node("Relu", ["x"], ["y"], name="first"),
         helper.make_node("Neg", ["x"], ["y"], name="second")],
        [vi("x", [2])], [vi("y", [2])]),
        "output 'y' is already produced")
    yield compile_case(c, work, "output-shadows-input", model(
        [helper.make_node("Relu", ["x"], ["x"], name="relu")],
        [vi("x", [2])], [vi("x", [2])]),
        "output 'x' is already produced")
    yield compile_case(c, work, "no-outputs-node", model(
        [helper.make_node("Relu", ["x"], [], name="relu"),
         helper.make_node("Neg", ["x"], ["y"], name="neg")],
        [vi("x", [2])], [vi("y", [2])]),
        "has no outputs")
    yield compile_case(c, work, "empty-required-input", model(
        [helper.make_node("Add", ["x", ""], ["y"], name="add")],
        [vi("x", [2])], [vi("y", [2])]),
        "required input 1 is missing")
    yield compile_case(c, work, "too-few-inputs", model(
        [helper.make_node("MatMul", ["x"], ["y"], name="mm")],
        [vi("x", [2, 2])], [vi("y", [2, 2])]),
        "needs at least 2 inputs")
    yield compile_case(c, work, "concat-no-inputs", model(
        [helper.make_node("Concat", [], ["y"], name="cat", axis=0)],
        [vi("x", [2])], [vi("y", [2])]),
        "needs at least 1 input")
    yield compile_case(c, work, "split-zero-outputs", model(
        [helper.make_node("Split", ["x"], ["a"], name="split", axis=0,
                          num_outputs=0)],
        [vi("x", [4])], [vi("a", [4])], opset=18),
        "num_outputs")
    yield compile_case(c, work, "matmul-rank0", model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
        [vi("x", [2])], [vi("y", [2])], [const("w", np.float32(2))]),
        "rank")
    yield compile_case(c, work, "matmul-rank0-input", model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
        [vi("x", [])], [vi("y", [2])], [const("w", np.ones(2, np.float32))]),
        "rank")
    # Zero-size dims are valid ONNX: the product is all zeros of shape [0,0]
    # or [2,2] (K = 0); checked against numpy by run_hostile (no crash).
    yield compile_case(c, work, "matmul-k0", model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
        [vi("x", [2, 0])], [vi("y", [2, 2])],
        [const("w", np.zeros((0, 2), np.float32))]), None, expect="ok")
    yield compile_case(c, work, "matmul-n0", model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
        [vi("x", [2, 0])], [vi("y", [2, 0])],
        [const("w", np.zeros((0, 0), np.float32))]), None, expect="ok")
    yield compile_case(c, work, "matmul-zero-weight-quant", model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
        [vi("x", [2, 0])], [vi("y", [2, 2])],
        [const("w", np.zeros((0, 2), np.float32))]), None,
        extra=["--quant=rtn", "--bits=4"], expect="ok")
    yield compile_case(c, work, "range-huge", model(
        [helper.make_node("Range", ["s", "l", "d"], ["y"], name="range"),
         helper.make_node("ReduceSum", ["y"], ["z"], name="sum",
                          keepdims=0)],
        [vi("x", [1])], [vi("z", [])],
        [const("s", np.float32(0)), const("l", np.float32(1e12)),
         const("d", np.float32(1))]),
        "bytes")
    yield compile_case(c, work, "expand-huge", model(
        [helper.make_node("Expand", ["x", "s"], ["e"], name="expand"),
         helper.make_node("ReduceSum", ["e"], ["y"], name="sum",
                          keepdims=0)],
        [vi("x", [1])], [vi("y", [])],
        [const("s", np.array([1000000, 1000000], np.int64))]),
        "bytes")
    yield compile_case(c, work, "constant-of-shape-huge", model(
        [helper.make_node("ConstantOfShape", ["s"], ["y"], name="cos")],
        [vi("x", [1])], [vi("y", [1 << 20, 1 << 20])],
        [const("s", np.array([1 << 20, 1 << 20], np.int64))]),
        "bytes")
    yield compile_case(c, work, "huge-input-shape", model(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        [vi("x", [1 << 40, 1 << 40])], [vi("y", [1 << 40, 1 << 40])]),
        "bytes")
    yield compile_case(c, work, "negative-input-dim", model(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        [vi("x", [-3, 2])], [vi("y", [-3, 2])]),
        "invalid dimension -3")
    yield compile_case(c, work, "reshape-negative", model(
        [helper.make_node("Reshape", ["x", "s"], ["y"], name="rs")],
        [vi("x", [2, 3])], [vi("y", [6])],
        [const("s", np.array([-2, -3], np.int64))]),
        "rs")
    yield compile_case(c, work, "attr-wrong-type", model(
        [helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=1.5)],
        [vi("x", [2, 3])], [vi("y", [2, 3])]),
        "attribute 'axis'")
    yield compile_case(c, work, "attr-string-for-ints", model(
        [helper.make_node("Transpose", ["x"], ["y"], name="t", perm="ab")],
        [vi("x", [2, 3])], [vi("y", [3, 2])]),
        "attribute 'perm'")
    yield compile_case(c, work, "node-name-newline", model(
        [helper.make_node("Foo", ["x"], ["y"], name="evil\nname")],
        [vi("x", [2])], [vi("y", [2])]),
        "evil\\nname")
    yield compile_case(c, work, "gather-const-oob", model(
        [helper.make_node("Gather", ["x", "i"], ["y"], name="gather")],
        [vi("x", [4, 3])], [vi("y", [1, 3])],
        [const("i", np.array([4], np.int64))]),
        "index 4 is out of range")
    yield compile_case(c, work, "gather-const-oob-neg", model(
        [helper.make_node("Gather", ["x", "i"], ["y"], name="gather")],
        [vi("x", [4, 3])], [vi("y", [1, 3])],
        [const("i", np.array([-5], np.int64))]),
        "index -5 is out of range")
    yield compile_case(c, work, "qdq-scalar-uint8-zp", model(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q"),
         helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"],
                          name="dq")],
        [vi("x", [4])], [vi("y", [4])],
        [const("s", np.float32(0.5)), const("z", np.uint8(128))]),
        None, expect="ok")
    # A chain deep enough that a recursive walk would overflow the stack.
    n = 3000
    nodes = [helper.make_node("Neg", ["v%d" % i], ["v%d" % (i + 1)],
                              name="n%d" % i) for i in range(n)]
    yield compile_case(c, work, "deep-chain", model(
        nodes, [vi("v0", [2])], [vi("v%d" % n, [2])]), None, expect="ok",
        extra=["--compile-to=import"])


# Small real models of the repository to damage: a CNN, a torch-exported
# transformer block and the LLaMA-style test model.
REAL_MODELS = ("examples/digits-cnn/model.onnx",
               "test/torch-models/block-opset13/model.onnx",
               "examples/llama-family/llama/model-opset17.onnx")


def external_data(work):
    """Models whose external data is reached through hostile paths."""
    c = "structural"
    d = os.path.join(work, "ext")
    os.makedirs(d, exist_ok=True)
    outside = os.path.join(work, "outside.bin")
    with open(outside, "wb") as f:
        f.write(np.ones(4, np.float32).tobytes())
    for name, make in (("link-out.bin", lambda p: os.symlink(outside, p)),
                       ("fifo.bin", os.mkfifo)):
        p = os.path.join(d, name)
        if not os.path.lexists(p):
            make(p)
    for name, location, text in (
            ("ext-symlink-outside", "link-out.bin", "outside the model's"),
            ("ext-fifo", "fifo.bin", "is not a regular file"),
            ("ext-huge-offset", "link-out.bin", "outside the model's")):
        t = TensorProto(name="w", data_type=F, dims=[2, 2])
        t.data_location = TensorProto.EXTERNAL
        for key, value in (("location", location),
                           ("offset", str(2 ** 63 - 8) if "offset" in name
                            else "0")):
            e = t.external_data.add()
            e.key, e.value = key, value
        m = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                  [vi("x", [2, 2])], [vi("y", [2, 2])], [t])
        path = save(d, name + ".onnx", m)
        out = path + ".exe"
        yield Case(c, name, ["quantc", path, "-o", out], text=text,
                   protect=[path, outside], absent=[out])
    # In range of a real file inside the folder, but offset + length wraps.
    with open(os.path.join(d, "w.bin"), "wb") as f:
        f.write(np.ones(4, np.float32).tobytes())
    t = TensorProto(name="w", data_type=F, dims=[2, 2])
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "w.bin"), ("offset", "8"),
                       ("length", str(2 ** 63 - 4))):
        e = t.external_data.add()
        e.key, e.value = key, value
    m = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
              [vi("x", [2, 2])], [vi("y", [2, 2])], [t])
    path = save(d, "ext-length-wraps.onnx", m)
    yield Case(c, "ext-length-wraps", ["quantc", path, "-o", path + ".exe"],
               text="is outside 'w.bin'", protect=[path],
               absent=[path + ".exe"])


def real_models(root):
    """(name, bytes) of the REAL_MODELS under repository `root`."""
    for rel in REAL_MODELS:
        with open(os.path.join(root, rel), "rb") as f:
            yield rel.split("/")[-2], f.read()


def damaged(work, sources, count):
    rng = np.random.default_rng(1234)
    for name, data in sources:
        offsets = sorted(set(int(o) for o in
                             rng.integers(1, len(data), count)))
        for off in offsets:
            path = save(work, "%s-trunc-%d.onnx" % (name, off), data[:off])
            yield Case("truncation", os.path.basename(path),
                       ["quantc", path, "--compile-to=import", "-o",
                        path + ".mlir"], expect="any", protect=[path])
        for off in offsets:
            flipped = bytearray(data)
            flipped[off] ^= 1 << int(rng.integers(0, 8))
            path = save(work, "%s-flip-%d.onnx" % (name, off), bytes(flipped))
            yield Case("bitflip", os.path.basename(path),
                       ["quantc", path, "--compile-to=import", "-o",
                        path + ".mlir"], expect="any", protect=[path])


def mutate(m, rng, ops):
    """One random structural mutation of ModelProto `m` (in place); returns
    its description."""
    g = m.graph
    node = g.node[int(rng.integers(len(g.node)))]
    kind = int(rng.integers(10))
    if kind == 0 and len(node.input):
        i = int(rng.integers(len(node.input)))
        node.input[i] = ""
        return "input %d of %s emptied" % (i, node.name)
    if kind == 1 and len(node.input):
        del node.input[int(rng.integers(len(node.input)))]
        return "an input of %s dropped" % node.name
    if kind == 2:
        node.input.append(node.input[0] if len(node.input) else "x")
        return "an input added to %s" % node.name
    if kind == 3:
        node.op_type = ops[int(rng.integers(len(ops)))]
        return "%s became %s" % (node.name, node.op_type)
    if kind == 4 and len(node.attribute):
        a = node.attribute[int(rng.integers(len(node.attribute)))]
        choice = int(rng.integers(4))
        if choice == 0:
            a.type, a.f = onnx.AttributeProto.FLOAT, 1e30
        elif choice == 1:
            a.type = onnx.AttributeProto.INTS
            a.ints.extend([-(1 << 62), 1 << 62])
        elif choice == 2:
            a.type, a.i = onnx.AttributeProto.INT, -(1 << 62)
        else:
            a.type, a.s = onnx.AttributeProto.STRING, b"\xff\x00bogus"
        return "attribute %s of %s mangled" % (a.name, node.name)
    if kind == 5 and len(g.input):
        dims = g.input[0].type.tensor_type.shape.dim
        if len(dims):
            dims[int(rng.integers(len(dims)))].dim_value = int(
                rng.choice([0, 1, 7, 1 << 31, 1 << 40]))
            return "a dim of input %s changed" % g.input[0].name
    if kind == 6 and len(g.initializer):
        t = g.initializer[int(rng.integers(len(g.initializer)))]
        if len(t.dims):
            t.dims[int(rng.integers(len(t.dims)))] += int(rng.choice([-1, 1]))
            return "a dim of initializer %s changed" % t.name
    if kind == 7 and len(g.initializer):
        t = g.initializer[int(rng.integers(len(g.initializer)))]
        t.data_type = int(rng.choice([TensorProto.INT64, TensorProto.UINT8,
                                      TensorProto.FLOAT16, TensorProto.BOOL,
                                      TensorProto.STRING]))
        return "initializer %s retyped" % t.name
    if kind == 8 and len(node.output):
        node.output.append(node.output[0])
        return "an output of %s repeated" % node.name
    other = g.node[int(rng.integers(len(g.node)))]
    if len(other.output) and len(node.input):
        node.input[0] = other.output[0]  # may create a cycle
        return "%s now reads %s" % (node.name, other.output[0])
    return "unchanged"


def mutations(work, root, count):
    """Random structural mutations of the real models (onnx.helper level):
    each must import or fail cleanly."""
    ops = ["Add", "MatMul", "Gather", "Reshape", "Concat", "Split", "Softmax",
           "Transpose", "Slice", "Expand", "Range", "ConstantOfShape", "Conv",
           "LayerNormalization", "Where", "Cast", "Tile", "Pad", "Resize"]
    rng = np.random.default_rng(99)
    for rel in REAL_MODELS[:2]:
        base = onnx.load(os.path.join(root, rel))
        for i in range(count):
            m = onnx.ModelProto()
            m.CopyFrom(base)
            what = [mutate(m, rng, ops) for _ in range(int(rng.integers(1, 3)))]
            name = "%s-mut-%d" % (rel.split("/")[-2], i)
            path = save(work, name + ".onnx", m)
            yield Case("mutation", name + " (" + "; ".join(what) + ")",
                       ["quantc", path, "--compile-to=linalg", "-o",
                        path + ".mlir"], expect="any", protect=[path])


def driver(work):
    c = "driver"
    m = relu()
    path = save(work, "drv.onnx", m)
    calib = os.path.join(work, "drv-calib.npy")
    np.save(calib, np.ones((4, 2, 3), np.float32))
    # The same file by another name: absolute, "./name" and "../dir/name"
    # from inside the model's directory.
    here = os.path.basename(path)
    up = os.path.join("..", os.path.basename(work), here)
    for i, (model_arg, o) in enumerate([(path, path), (here, "./" + here),
                                        (here, up), ("./" + here, here)]):
        yield Case(c, "o-is-model-%d" % i, ["quantc", model_arg, "-o", o],
                   text="is an input", protect=[path], cwd=work)
        yield Case(c, "o-is-model-mlir-%d" % i,
                   ["quantc", model_arg, "--emit=mlir", "-o", o],
                   text="is an input", protect=[path], cwd=work)
    yield Case(c, "o-is-calib", ["quantc", path, "-o", calib, "--quant=gptq",
                                 "--calib", "x=" + calib], text="is an input",
               protect=[path, calib])
    yield Case(c, "report-is-model", ["quantc", path, "-o",
                                      os.path.join(work, "drv.exe"),
                                      "--quant=rtn", "--report", path],
               text="is an input", protect=[path],
               absent=[os.path.join(work, "drv.exe")])
    link = os.path.join(work, "drv-link.onnx")
    if not os.path.lexists(link):
        os.symlink(path, link)
    yield Case(c, "o-is-model-symlink", ["quantc", path, "-o", link],
               text="is an input", protect=[path])
    yield Case(c, "o-link-fails-keeps-model",
               ["quantc", path, "-o", path, "--linker=/bin/false"],
               text="is an input", protect=[path])
    def still_a_device():
        return None if stat.S_ISCHR(os.stat("/dev/null").st_mode) else \
            "/dev/null is no longer a character device"
    for emit in ("--emit=mlir", "--emit=exe"):
        yield Case(c, "o-dev-null" + emit[6:], ["quantc", path, "-o",
                                               "/dev/null", emit, "--quiet"],
                   expect="ok", protect=[path], check=still_a_device)
    bad_values = [
        ["--avg-bits=0"], ["--avg-bits=-1"], ["--avg-bits=nan"],
        ["--avg-bits=inf"], ["--max-weight-bytes=0"], ["--calib-batch=0"],
        ["-O", "9"], ["-O9"], ["--bits=1"], ["--bits=9"], ["--group-size=-4"],
        ["--damp=-1"], ["--damp=nan"], ["--scale-type=f8"],
        ["--weight-type=i4"], ["--act-bits=4"], ["--mcpu=bogus"],
        ["--target=nonsense-triple"], ["--candidate-bits=1,99"],
        ["--exclude=("], ["--max-tensor-bytes=0"], ["--max-tensor-bytes=-5"],
        ["--mattr=+bogusfeature"],
    ]
    for i, extra in enumerate(bad_values):
        out = os.path.join(work, "drv-bad-%d.exe" % i)
        quant = [] if extra[0].startswith(("-O", "--mcpu", "--target",
                                           "--calib-batch")) else \
            ["--quant=rtn"]
        yield Case(c, "bad-value-" + "_".join(extra).lstrip("-"),
                   ["quantc", path, "-o", out] + quant + extra,
                   protect=[path], absent=[out])
    missing = os.path.join(work, "no-such.npy")
    yield Case(c, "calib-missing", ["quantc", path, "-o",
                                    os.path.join(work, "x.exe"),
                                    "--quant=gptq", "--calib",
                                    "x=" + missing], text=missing,
               protect=[path])
    yield Case(c, "bind-missing", ["quantc", path, "-o",
                                   os.path.join(work, "x.exe"),
                                   "--bind-input", "x=" + missing],
               text=missing, protect=[path])
    yield Case(c, "model-is-dir", ["quantc", work, "-o",
                                   os.path.join(work, "x.exe")],
               text="not a regular file")
    fifo = os.path.join(work, "fifo.onnx")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    yield Case(c, "model-is-fifo", ["quantc", fifo, "-o",
                                    os.path.join(work, "x.exe")],
               text="not a regular file")
    yield Case(c, "unwritable-output", ["quantc", path, "-o",
                                        "/proc/quantc-cannot/x.exe"],
               text="/proc/quantc-cannot/x.exe", protect=[path])
    plans = {"plan-missing": None, "plan-invalid": "{not json",
             "plan-unknown-layer": '{"nope": 4}',
             "plan-deep": "[" * 100000 + "]" * 100000,
             "plan-bad-bits": '{"mm": 7.5}'}
    mm = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
               [vi("x", [2, 8])], [vi("y", [2, 8])],
               [const("w", np.random.default_rng(0).standard_normal(
                   (8, 8)).astype(np.float32))])
    mpath = save(work, "drv-mm.onnx", mm)
    for name, text in plans.items():
        plan = os.path.join(work, name + ".json")
        if text is not None:
            with open(plan, "w") as f:
                f.write(text)
        out = os.path.join(work, name + ".exe")
        yield Case(c, name, ["quantc", mpath, "-o", out, "--quant=rtn",
                             "--avg-bits=4", "--precision-plan", plan],
                   text=plan, protect=[mpath], absent=[out])


def weights(work):
    c = "weights"
    rng = np.random.default_rng(7)
    base = rng.standard_normal((16, 8)).astype(np.float32)
    patho = {
        "nan": np.where(np.arange(128).reshape(16, 8) == 5, np.nan, base),
        "inf": np.where(np.arange(128).reshape(16, 8) == 9, np.inf, base),
    }
    for name, w in patho.items():
        m = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                  [vi("x", [2, 16])], [vi("y", [2, 8])],
                  [const("w", w.astype(np.float32))])
        yield compile_case(c, work, "weight-" + name, m, "non-finite",
                           extra=["--quant=rtn", "--bits=4"])
    # A row of magnitude 1e7 overflows f16 scales: error or f32 fallback,
    # never NaN outputs (checked against numpy).
    big = base.copy()
    big[:, 3] *= 1e7
    for name, w, extra in (
            ("huge-row-f16", big, ["--scale-type=f16"]),
            ("huge-row-bf16", big, ["--scale-type=bf16"]),
            ("zero", np.zeros_like(base), []),
            ("denormal", np.full_like(base, 1e-42), []),
            ("tiny-row", base * np.float32(1e-30), [])):
        m = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                  [vi("x", [2, 16])], [vi("y", [2, 8])],
                  [const("w", w.astype(np.float32))])
        case = compile_case(c, work, "weight-" + name, m, None, expect="ok",
                            extra=["--quant=rtn", "--bits=8"] + extra)
        case.check = matmul_check(work, case.argv[3], w.astype(np.float32),
                                  atol=1e-5 if name == "zero" else 0.0)
        yield case


def matmul_check(work, exe, w, atol=0.0):
    """A check running `exe` (x [2, K] @ w) on random x against numpy: 8-bit
    weights stay within 2% of the float product (plus `atol`: all-zero
    weights give rounding noise of the zero-point algebra), and finite."""
    def check():
        x = np.random.default_rng(3).standard_normal(
            (2, w.shape[0])).astype(np.float32)
        xpath = exe + ".x.npy"
        np.save(xpath, x)
        out = exe + ".out"
        import subprocess
        proc = subprocess.run([exe, "--input", "x=" + xpath, "--output-dir",
                               out], capture_output=True, text=True)
        if proc.returncode != 0:
            return "binary failed: " + proc.stderr.strip()
        got = np.load(os.path.join(out, "y.npy"))
        want = x.astype(np.float64) @ w.astype(np.float64)
        if not np.all(np.isfinite(got)):
            return "non-finite outputs %s" % got.tolist()
        scale = np.abs(x).astype(np.float64) @ np.abs(w).astype(np.float64)
        err = np.max(np.maximum(np.abs(got - want) - atol, 0) /
                     np.maximum(scale, 1e-300))
        if err > 0.02:
            return "error %.3g of the |x|.|w| scale vs numpy" % err
        return None
    return check


def npy_header(descr, shape):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (
        descr, "(" + ", ".join(str(d) for d in shape) +
        ("," if len(shape) == 1 else "") + ")")
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + \
        header.encode()


def hostile_npys(work):
    """(name, bytes) of .npy files a float32 [2,3] input must refuse."""
    good = np.ones((2, 3), np.float32).tobytes()
    yield "empty", b""
    yield "magic-only", b"\x93NUMPY"
    yield "bad-magic", b"\x93NUMPX\x01\x00" + good
    yield "header-len-huge", b"\x93NUMPY\x01\x00\xff\xff" + b"{" * 20
    yield "claims-5GB", npy_header("<f4", (2, 3, 223696214)) + good
    yield "claims-overflow", npy_header("<f4", (1 << 62, 1 << 62)) + good
    yield "truncated-data", npy_header("<f4", (2, 3)) + good[:10]
    yield "wrong-dtype", npy_header("<f8", (2, 3)) + good * 2
    yield "wrong-shape", npy_header("<f4", (3, 2)) + good
    yield "negative-dim", npy_header("<f4", (-2, 3)) + good
    yield "fortran", npy_header("<f4", (2, 3)).replace(
        b"False", b"True ") + good
    yield "garbage-header", b"\x93NUMPY\x01\x00\x10\x00" + b"\xff" * 16 + good
    yield "big-endian", npy_header(">f4", (2, 3)) + good
    yield "object", npy_header("|O", (2, 3)) + good


def runtime(work):
    c = "runtime"
    exe = os.path.join(work, "rt-relu.exe")
    m = relu()
    mpath = save(work, "rt-relu.onnx", m)
    yield Case("runtime-build", "rt-relu", ["quantc", mpath, "-o", exe,
                                            "--quiet"], expect="ok")
    for name, data in hostile_npys(work):
        npy = os.path.join(work, "rt-%s.npy" % name)
        with open(npy, "wb") as f:
            f.write(data)
        yield Case(c, "npy-" + name, [exe, "--input", "x=" + npy,
                                      "--output-dir",
                                      os.path.join(work, "rt-out-" + name)],
                   text=npy, runtime=True)
    gexe = os.path.join(work, "rt-gather.exe")
    gm = model([helper.make_node("Gather", ["t", "i"], ["y"], name="gather")],
               [vi("i", [2], I64)], [vi("y", [2, 3])],
               [const("t", np.arange(12, dtype=np.float32).reshape(4, 3))])
    gpath = save(work, "rt-gather.onnx", gm)
    yield Case("runtime-build", "rt-gather", ["quantc", gpath, "-o", gexe,
                                              "--quiet"], expect="ok")
    uexe = os.path.join(work, "rt-gather-unchecked.exe")
    yield Case("runtime-build", "rt-gather-unchecked",
               ["quantc", gpath, "-o", uexe, "--quiet", "--index-checks=false"],
               expect="ok")
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    for idx in ([0, 3], [-4, -1], [4, 0], [0, -5], [2 ** 63 - 1, 0],
                [1000000, 1], [-2 ** 63, 0]):
        npy = os.path.join(work, "rt-idx-%s.npy" % "_".join(map(str, idx)))
        np.save(npy, np.array(idx, np.int64))
        outdir = os.path.join(work, "rt-gout-%s" % "_".join(map(str, idx)))
        ok = all(-4 <= i < 4 for i in idx)
        expected = table[np.array(idx) % 4] if ok else None

        def check(outdir=outdir, expected=expected):
            got = np.load(os.path.join(outdir, "y.npy"))
            if not np.array_equal(got, expected):
                return "gather gave %s, numpy %s" % (got.tolist(),
                                                     expected.tolist())
            return None
        bad = [i for i in idx if not -4 <= i < 4]
        if bad:
            # --index-checks=false: reported by nobody, clamped into range.
            clamped = table[np.clip(np.where(np.array(idx) < 0,
                                             np.array(idx) + 4, idx), 0, 3)]
            outdir2 = outdir + "-unchecked"

            def check_clamped(outdir=outdir2, expected=clamped):
                got = np.load(os.path.join(outdir, "y.npy"))
                if not np.array_equal(got, expected):
                    return "clamped gather gave %s, expected %s" % (
                        got.tolist(), expected.tolist())
                return None
            yield Case(c, "gather-unchecked-%s" % "_".join(map(str, idx)),
                       [uexe, "--input", "i=" + npy, "--output-dir", outdir2],
                       expect="ok", check=check_clamped, runtime=True)
        yield Case(c, "gather-%s" % "_".join(map(str, idx)),
                   [gexe, "--input", "i=" + npy, "--output-dir", outdir],
                   expect="ok" if ok else "error",
                   text=None if ok else "index %d" % bad[0],
                   check=check if ok else None, runtime=True)


def index_run_case(c, name, argv, outdir, want, bad):
    """Runs `argv` writing to `outdir`: with `bad` None, y.npy must equal
    `want`; else the run fails naming index `bad` and writes no y.npy."""
    y = os.path.join(outdir, "y.npy")

    def check():
        got = np.load(y)
        if not np.array_equal(got, want):
            return "%s, numpy %s" % (got.tolist(), want.tolist())
        return None
    ok = bad is None
    return Case(c, name, argv + ["--output-dir", outdir],
                expect="ok" if ok else "error",
                text=None if ok else "index %d is out of range" % bad,
                check=check if ok else None, runtime=True,
                absent=[] if ok else [y])


def element_index_cases(work):
    """GatherElements and ScatterElements with run-time indices."""
    c = "runtime"
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    for op in ("GatherElements", "ScatterElements"):
        inputs = ["t", "i"] + (["u"] if op == "ScatterElements" else [])
        inits = [const("t", data)]
        if op == "ScatterElements":
            inits.append(const("u", np.full((3, 2), -1, np.float32)))
        m = model([helper.make_node(op, inputs, ["y"], name="op", axis=1)],
                  [vi("i", [3, 2], I64)],
                  [vi("y", [3, 2] if op == "GatherElements" else [3, 4])],
                  inits)
        mpath = save(work, "rt-%s.onnx" % op, m)
        exe = mpath[:-5] + ".exe"
        yield Case("runtime-build", "rt-" + op, ["quantc", mpath, "-o", exe,
                                                 "--quiet"], expect="ok")
        for tag, idx in (("ok", [[0, 3], [-4, -1], [1, 2]]),
                         ("high", [[0, 4], [1, 1], [2, 2]]),
                         ("low", [[0, 1], [-5, 1], [2, 2]]),
                         ("max", [[0, 1], [1, 1], [2 ** 63 - 1, 2]])):
            idx = np.array(idx, np.int64)
            npy = os.path.join(work, "rt-%s-%s.npy" % (op, tag))
            np.save(npy, idx)
            outdir = os.path.join(work, "rt-%s-out-%s" % (op, tag))
            ok = tag == "ok"
            if op == "GatherElements":
                want = np.take_along_axis(data, idx % 4, axis=1)
            else:
                want = data.copy()
                np.put_along_axis(want, idx % 4, -1.0, axis=1)

            bad = int(idx[(idx < -4) | (idx >= 4)][0]) if not ok else None
            yield index_run_case(c, "%s-%s" % (op, tag),
                                 [exe, "--input", "i=" + npy], outdir, want,
                                 bad)


def nd_index_cases(work):
    """GatherND, ScatterND and a CumSum axis with run-time indices."""
    c = "runtime"
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    upd = np.full((2, 4), -1, np.float32)
    for op in ("GatherND", "ScatterND"):
        inputs = ["t", "i"] + (["u"] if op == "ScatterND" else [])
        inits = [const("t", data)]
        if op == "ScatterND":
            inits.append(const("u", upd))
        # One coordinate per tuple: rows of data (bound 3).
        m = model([helper.make_node(op, inputs, ["y"], name="op")],
                  [vi("i", [2, 1], I64)],
                  [vi("y", [2, 4] if op == "GatherND" else [3, 4])], inits)
        mpath = save(work, "rt-%s.onnx" % op, m)
        exe = mpath[:-5] + ".exe"
        yield Case("runtime-build", "rt-" + op, ["quantc", mpath, "-o", exe,
                                                 "--quiet"], expect="ok")
        for tag, idx in (("ok", [[2], [-3]]), ("high", [[0], [3]]),
                         ("low", [[-4], [1]]), ("max", [[2 ** 63 - 1], [0]]),
                         ("min", [[1], [-2 ** 63]])):
            idx = np.array(idx, np.int64)
            npy = os.path.join(work, "rt-%s-%s.npy" % (op, tag))
            np.save(npy, idx)
            outdir = os.path.join(work, "rt-%s-out-%s" % (op, tag))
            ok = tag == "ok"
            rows = idx[:, 0] % 3
            if op == "GatherND":
                want = data[rows]
            else:
                want = data.copy()
                want[rows] = upd

            bad = int(idx[(idx < -3) | (idx >= 3)][0]) if not ok else None
            yield index_run_case(c, "%s-%s" % (op, tag),
                                 [exe, "--input", "i=" + npy], outdir, want,
                                 bad)
    # Tuples of two coordinates check each against its own dimension.
    m = model([helper.make_node("GatherND", ["t", "i"], ["y"], name="op")],
              [vi("i", [2, 2], I64)], [vi("y", [2])], [const("t", data)])
    mpath = save(work, "rt-GatherND2.onnx", m)
    exe = mpath[:-5] + ".exe"
    yield Case("runtime-build", "rt-GatherND2", ["quantc", mpath, "-o", exe,
                                                 "--quiet"], expect="ok")
    for tag, idx, bad in (("ok", [[2, 3], [-3, -4]], None),
                          ("col", [[2, 3], [0, 4]], 4),
                          ("row", [[3, 0], [0, 0]], 3)):
        npy = os.path.join(work, "rt-GatherND2-%s.npy" % tag)
        np.save(npy, np.array(idx, np.int64))
        outdir = os.path.join(work, "rt-GatherND2-out-" + tag)
        want = np.array([data[r % 3, k % 4] for r, k in idx]) if not bad \
            else None
        yield index_run_case(c, "GatherND2-" + tag,
                             [exe, "--input", "i=" + npy], outdir, want, bad)
    # A CumSum axis given at run time (rank 1: 0 and -1 are the only axes).
    m = model([helper.make_node("CumSum", ["x", "a"], ["y"], name="cumsum")],
              [vi("x", [4]), vi("a", [], I64)], [vi("y", [4])])
    mpath = save(work, "rt-cumsum.onnx", m)
    exe = mpath[:-5] + ".exe"
    yield Case("runtime-build", "rt-cumsum", ["quantc", mpath, "-o", exe,
                                              "--quiet"], expect="ok")
    xs = np.array([1, 2, 3, 4], np.float32)
    xnpy = os.path.join(work, "rt-cumsum-x.npy")
    np.save(xnpy, xs)
    for axis in (0, -1, 1, -2):
        npy = os.path.join(work, "rt-cumsum-axis%d.npy" % axis)
        np.save(npy, np.array(axis, np.int64))
        outdir = os.path.join(work, "rt-cumsum-out%d" % axis)
        ok = axis in (0, -1)
        yield index_run_case(c, "cumsum-axis%d" % axis,
                             [exe, "--input", "x=" + xnpy, "--input",
                              "a=" + npy], outdir, np.cumsum(xs),
                             None if ok else axis)


def calibration_cases(work):
    """Calibration data the model cannot take."""
    c = "driver"
    rng = np.random.default_rng(5)
    m = model([helper.make_node("Gather", ["emb", "ids"], ["h"], name="emb"),
               helper.make_node("MatMul", ["h", "w"], ["y"], name="mm")],
              [vi("ids", [1, 4], I64)], [vi("y", [1, 4, 8])],
              [const("emb", rng.standard_normal((16, 8)).astype(np.float32)),
               const("w", rng.standard_normal((8, 8)).astype(np.float32))])
    mpath = save(work, "calib-lm.onnx", m)
    for tag, ids in (("1000", 1000), ("minus1", -1), ("int64max", 2 ** 63 - 1),
                     ("minus17", -17)):
        npy = os.path.join(work, "calib-ids-%s.npy" % tag)
        a = np.zeros((2, 1, 4), np.int64)
        a[1, 0, 2] = ids
        np.save(npy, a)
        out = os.path.join(work, "calib-%s.exe" % tag)
        valid = -16 <= ids < 16  # negative ids count from the end
        yield Case(c, "calib-token-" + tag,
                   ["quantc", mpath, "-o", out, "--quant=gptq", "--bits=4",
                    "--calib", "ids=" + npy, "--quiet"],
                   expect="ok" if valid else "error",
                   text=None if valid else "value %d" % ids,
                   protect=[mpath, npy], absent=[] if valid else [out])
    big = os.path.join(work, "calib-claims-5GB.npy")
    with open(big, "wb") as f:
        f.write(npy_header("<i8", (2, 1, 4, 83886080)) + b"\0" * 64)
    out = os.path.join(work, "calib-big.exe")
    yield Case(c, "calib-npy-claims-5GB",
               ["quantc", mpath, "-o", out, "--quant=gptq", "--calib",
                "ids=" + big, "--quiet"], text=big, protect=[mpath],
               absent=[out])


def report_cases(work):
    """--report must be strict JSON whatever the weights, and say who wrote
    it with which flags."""
    c = "weights"
    base = np.random.default_rng(8).standard_normal((16, 8)).astype(
        np.float32)
    for name, w in (("zero", np.zeros_like(base)), ("huge", base * 1e30),
                    ("normal", base)):
        m = model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                  [vi("x", [2, 16])], [vi("y", [2, 8])], [const("w", w)])
        path = save(work, "report-%s.onnx" % name, m)
        report = path + ".json"

        def check(report=report):
            import json

            def refuse(token):
                raise ValueError("non-JSON number %s" % token)
            with open(report) as f:
                doc = json.load(f, parse_constant=refuse)
            if not doc.get("producer", "").startswith("quantc "):
                return "report lacks producer: %s" % doc.get("producer")
            if "--bits=4" not in doc.get("command_line", ""):
                return "report lacks the command line"
            return None
        yield Case(c, "report-" + name,
                   ["quantc", path, "-o", path + ".exe", "--quant=rtn",
                    "--bits=4", "--report", report, "--quiet"], expect="ok",
                   protect=[path], check=check)


def all_cases(work, root, damage_count=40):
    yield from structural(work)
    yield from external_data(work)
    yield from damaged(work, list(real_models(root)), damage_count)
    yield from mutations(work, root, damage_count)
    yield from driver(work)
    yield from weights(work)
    yield from report_cases(work)
    yield from calibration_cases(work)
    yield from runtime(work)
    yield from element_index_cases(work)
    yield from nd_index_cases(work)
