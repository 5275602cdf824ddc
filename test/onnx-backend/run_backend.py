#!/usr/bin/python3
"""Runs ONNX backend test cases through quantc and checks the outputs.

usage: run_backend.py --quantc PATH --cases DIR [DIR ...] [--filter REGEX]
                      [--jobs N] [--compile-timeout S] [--run-timeout S]
                      [--table OUT.tsv] [--markdown OUT.md]
                      [--expect EXPECTED.tsv] [--write-expect OUT.tsv]
                      [--workdir DIR] [--keep] [-v]

A case is a directory holding model.onnx and test_data_set_0/ with
input_K.pb / output_K.pb (ONNX's backend test layout). Each DIR given to
--cases is a case, or a directory searched (recursively) for cases. A case
is named TOP/NAME after its parent directory and its own, e.g.
node/test_abs, whichever root it was found under.

Per case: the inputs are converted to .npy (onnx.numpy_helper), the model
is compiled with `quantc MODEL -o EXE` (every input whose model shape is
not fully static is pinned with --input-shape from its test data), the
executable is run with `--input NAME=FILE.npy ... --output-dir DIR`, and
each output is compared by name with output_K.pb: same shape, same dtype,
values within np.allclose(rtol=1e-3, atol=1e-4, equal_nan=True) for floats
(float16: rtol=4e-3, atol=1e-3, about 4 units in the last place) and equal
for integers and booleans.

Statuses:
  pass               every output matches
  pass-bound         quantc needed an input as a constant (a shape, axes,
                     pads, split sizes, Resize scales: an ahead-of-time
                     compiler with static shapes must know them), so the
                     case was recompiled with its integer inputs and short
                     float vectors compiled in (--bind-input), and then
                     every output matches
  mismatch           an output differs (shape, dtype or values; reason has
                     the max abs/rel difference) or was not written
  unsupported-op     quantc reported `unsupported op 'X'`
  unsupported-input  test data or graph I/O that is a sequence, optional or
                     map, or a tensor numpy/.npy cannot represent here
                     (string, bfloat16, float8, int4, ...)
  compile-error      quantc exited 1 with another message
  run-error          the executable exited non-zero
  crash              quantc or the executable died from a signal, or exited
                     with a code other than 0 and 1
  hang               quantc or the executable ran past its timeout

With --expect FILE (TSV: case<TAB>status; '#' comments), the exit status is
1 when a case listed as `pass` does not pass, or when any case crashes or
hangs; 0 otherwise. Cases that pass but are not listed as `pass` are
printed so the list can be updated. Without --expect the exit status is 1
only when a case crashes or hangs. --write-expect writes such a file with
every case's current status (the list backend.test checks).

Needs numpy and onnx (Debian's /usr/bin/python3 has both).
"""

import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

# The op list of issue 3: the cases whose top-level ops all appear here are
# the ones quantc is meant to pass.
SUPPORTED_LIST = frozenset("""
MatMul Gemm Conv ConvTranspose MaxPool AveragePool GlobalAveragePool
BatchNormalization Relu LeakyRelu Sigmoid Tanh Gelu Erf Softplus HardSigmoid
HardSwish Softmax LogSoftmax LayerNormalization Add Sub Mul Div Pow Sqrt Exp
Log Neg Abs Reciprocal Max Min Equal Less Greater Where Not And Or Cast Clip
Reshape Flatten Transpose Squeeze Unsqueeze Concat Split Slice Gather
GatherElements Expand Tile Pad Shape Size ConstantOfShape Range Constant
Identity Dropout ReduceMean ReduceSum ReduceMax ReduceMin ReduceProd ArgMax
CumSum Trilu Resize MatMulInteger QuantizeLinear DequantizeLinear
""".split())

STATUSES = ["pass", "pass-bound", "mismatch", "unsupported-op", "unsupported-input",
            "compile-error", "run-error", "crash", "hang"]
FAILURES_OF_THE_RUN = ("crash", "hang")
TOP_DIRS = ["node", "simple", "pytorch-converted", "pytorch-operator"]

RTOL, ATOL = 1e-3, 1e-4
# float16 has an 11-bit significand: 1e-3 is one unit in the last place, so
# float16 outputs get 4 ulps (results of a chain of f16 ops, or computed in
# f32 and rounded once, legitimately differ from the reference by a few).
RTOL_F16, ATOL_F16 = 4e-3, 1e-3

# quantc's errors for values that must be known at compile time.
NEEDS_CONSTANT = re.compile(r"must be (a )?constants?\b")

# TensorProto element types the .npy files of the runtime can carry.
NPY_TENSOR_TYPES = {
    onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16,
    onnx.TensorProto.INT8, onnx.TensorProto.UINT8, onnx.TensorProto.INT16,
    onnx.TensorProto.UINT16, onnx.TensorProto.INT32, onnx.TensorProto.UINT32,
    onnx.TensorProto.INT64, onnx.TensorProto.UINT64, onnx.TensorProto.BOOL,
}


# Element types newer than onnx 1.12's enum.
NEWER_TENSOR_TYPES = {
    17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2",
    20: "float8e5m2fnuz", 21: "uint4", 22: "int4", 23: "float4e2m1",
    24: "float8e8m0", 25: "uint2", 26: "int2",
}


def type_name(elem_type):
    try:
        return onnx.TensorProto.DataType.Name(elem_type).lower()
    except ValueError:
        return NEWER_TENSOR_TYPES.get(elem_type, "element type %d" % elem_type)


class CaseResult:
    def __init__(self, name, ops, status, reason="", seconds=0.0,
                 all_supported=False):
        self.name = name
        self.ops = ops
        # Every top-level op is in SUPPORTED_LIST and no node has a subgraph.
        self.all_supported = all_supported
        self.status = status
        self.reason = reason
        self.seconds = seconds


class Case:
    def __init__(self, path):
        self.path = path
        parent = os.path.basename(os.path.dirname(path))
        self.name = "%s/%s" % (parent, os.path.basename(path))
        self.top = parent


def find_cases(roots):
    """Case directories under the given roots, sorted by name, unique."""
    seen = {}
    for root in roots:
        root = os.path.abspath(root)
        if not os.path.isdir(root):
            sys.exit("run_backend.py: error: %s is not a directory" % root)
        for dirpath, dirnames, filenames in os.walk(root):
            if "model.onnx" in filenames:
                seen.setdefault(dirpath, Case(dirpath))
                dirnames[:] = []  # a case holds no nested cases
            else:
                dirnames.sort()
    return sorted(seen.values(), key=lambda c: c.name)


def graph_ops(graph):
    """(distinct top-level op types in order, whether any node has a
    subgraph attribute)."""
    ops, subgraphs = [], False
    for node in graph.node:
        op = node.op_type
        if node.domain not in ("", "ai.onnx"):
            op = "%s:%s" % (node.domain, op)
        if op not in ops:
            ops.append(op)
        for attr in node.attribute:
            if attr.type in (onnx.AttributeProto.GRAPH,
                             onnx.AttributeProto.GRAPHS):
                subgraphs = True
    return ops, subgraphs


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def run_process(cmd, timeout, cwd=None):
    """Runs cmd in its own process group. Returns (returncode or None on
    timeout, combined output)."""
    for attempt in range(3):
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            break
        except OSError:
            # ETXTBSY and friends while quantc is being rebuilt: retry.
            if attempt == 2:
                raise
            time.sleep(2)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        # The compiler runs a linker: stop the whole group we started.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = proc.communicate()
        return None, out.decode("utf-8", "replace")


def describe_exit(code):
    if code < 0:
        try:
            return "killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return "exit code %d" % code


def first_line(text, pattern=None):
    for line in text.splitlines():
        line = line.strip()
        if line and (pattern is None or re.search(pattern, line)):
            return line
    return ""


def short(text, limit=300):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def compile_error_reason(output):
    """The first `error:` line without the `quantc: error: FILE: ` prefix."""
    line = first_line(output, r"error:") or first_line(output)
    line = re.sub(r"^quantc: error: \S*model\.onnx: ", "", line)
    line = re.sub(r"^quantc: error: ", "", line)
    return short(line)


def load_tensor(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return tensor


def value_kind(value_info):
    return value_info.type.WhichOneof("value")


def static_dims(value_info):
    """The input's dims if fully static, else None."""
    tensor_type = value_info.type.tensor_type
    if not tensor_type.HasField("shape"):
        return None
    dims = []
    for dim in tensor_type.shape.dim:
        if not dim.HasField("dim_value"):
            return None
        dims.append(dim.dim_value)
    return dims


def convert(tensor, what):
    """TensorProto → ndarray, or raises ValueError with a reason."""
    if tensor.data_type == onnx.TensorProto.STRING:
        raise ValueError("%s: string tensor" % what)
    if tensor.data_type not in NPY_TENSOR_TYPES:
        raise ValueError("%s: %s tensor" % (what, type_name(tensor.data_type)))
    try:
        return numpy_helper.to_array(tensor)
    except Exception as e:  # onnx 1.12 lacks newer element types
        raise ValueError("%s: %s (%s)" % (what, type_name(tensor.data_type),
                                          short(str(e), 80)))


def compare(name, actual, expected):
    """'' when equal, else the reason."""
    if actual.shape != expected.shape:
        return "output %s: shape %s, expected %s" % (
            name, list(actual.shape), list(expected.shape))
    if actual.dtype != expected.dtype:
        return "output %s: dtype %s, expected %s" % (name, actual.dtype,
                                                       expected.dtype)
    if actual.dtype.kind in "fc":
        rtol, atol = (RTOL_F16, ATOL_F16) if actual.dtype == np.float16 \
            else (RTOL, ATOL)
        if np.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True):
            return ""
        a = actual.astype(np.float64)
        e = expected.astype(np.float64)
        finite = np.isfinite(a) & np.isfinite(e)
        nonfinite_bad = int(np.count_nonzero(
            ~finite & ~((a == e) | (np.isnan(a) & np.isnan(e)))))
        diff = np.abs(a[finite] - e[finite])
        max_abs = float(diff.max()) if diff.size else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(diff == 0, 0.0, diff / np.abs(e[finite]))
        max_rel = float(rel.max()) if rel.size else 0.0
        bad = int(np.count_nonzero(~np.isclose(a, e, rtol=rtol, atol=atol,
                                               equal_nan=True)))
        reason = "output %s: max abs diff %.3g, max rel diff %.3g, %d/%d " \
                 "elements differ" % (name, max_abs, max_rel, bad, a.size)
        if nonfinite_bad:
            reason += " (%d inf/nan mismatches)" % nonfinite_bad
        return reason
    if np.array_equal(actual, expected):
        return ""
    bad = int(np.count_nonzero(actual != expected))
    reason = "output %s: %d/%d elements differ" % (name, bad, actual.size)
    if actual.dtype.kind in "iu":
        diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
        reason += ", max abs diff %.3g" % float(diff.max())
    return reason


def run_case(case, args, workroot):
    start = time.monotonic()
    ops, all_supported = [], False
    try:
        model = onnx.load(os.path.join(case.path, "model.onnx"),
                          load_external_data=False)
        ops, subgraphs = graph_ops(model.graph)
        all_supported = bool(ops) and not subgraphs and \
            all(op in SUPPORTED_LIST for op in ops)
        status, reason = check_case(case, model, args, workroot)
    except Exception as e:  # the runner's own failure, not quantc's
        status, reason = "run-error", "runner: %s: %s" % (type(e).__name__,
                                                          short(str(e), 200))
    return CaseResult(case.name, ops, status, reason, time.monotonic() - start,
                      all_supported)


def check_case(case, model, args, workroot):
    graph = model.graph
    data_dir = os.path.join(case.path, "test_data_set_0")
    initializers = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]

    for value, what in [(v, "input") for v in inputs] + \
                       [(v, "output") for v in graph.output]:
        kind = value_kind(value)
        if kind != "tensor_type":
            return "unsupported-input", "%s %s is %s" % (
                what, value.name, (kind or "untyped").replace("_type", ""))

    work = tempfile.mkdtemp(prefix=sanitize(case.name) + ".", dir=workroot)
    try:
        status, reason = compile_and_run(case, graph, inputs, data_dir, work,
                                         args, args.bind_int_inputs)
        if (status == "compile-error" and not args.bind_int_inputs and
                NEEDS_CONSTANT.search(reason)):
            first = reason
            shutil.rmtree(work, ignore_errors=True)
            os.makedirs(work)
            status, reason = compile_and_run(case, graph, inputs, data_dir,
                                             work, args, True, True)
            reason = "with shape-like inputs bound: " + (reason or first)
            if status == "pass":
                status = "pass-bound"
        # Keep tables reproducible: no temporary paths in reasons.
        return status, reason.replace(work + os.sep, "")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def compile_and_run(case, graph, inputs, data_dir, work, args, bind_ints,
                    specialize=False):
    # Inputs: input_K.pb is the K-th graph input that is not an initializer.
    run_inputs, pins = [], []
    for k, value in enumerate(inputs):
        path = os.path.join(data_dir, "input_%d.pb" % k)
        if not os.path.exists(path):
            return "unsupported-input", "no test data for input %s" % value.name
        try:
            array = convert(load_tensor(path), "input %s" % value.name)
        except ValueError as e:
            return "unsupported-input", str(e)
        npy = os.path.join(work, "input_%d.npy" % k)
        np.save(npy, np.array(array, order="C"))  # keeps rank 0
        if bind_ints and (array.dtype in (np.int32, np.int64) or
                          (specialize and array.dtype.kind == "f" and
                           array.ndim <= 1 and array.size <= 16)):
            # Specialize on integer inputs (axes, shapes, pads, indices)
            # and, when quantc asked for constants, on short float vectors
            # (Resize scales and roi): compiled in, not read at run time.
            pins += ["--bind-input", "%s=%s" % (value.name, npy)]
            continue
        run_inputs += ["--input", "%s=%s" % (value.name, npy)]
        if static_dims(value) is None and array.ndim > 0:
            pins += ["--input-shape",
                     "%s=%s" % (value.name, "x".join(str(d) for d in array.shape))]

    expected = []
    for k, value in enumerate(graph.output):
        path = os.path.join(data_dir, "output_%d.pb" % k)
        if not os.path.exists(path):
            return "unsupported-input", "no test data for output %s" % value.name
        try:
            expected.append((value.name, convert(load_tensor(path),
                                                 "output %s" % value.name)))
        except ValueError as e:
            return "unsupported-input", str(e)

    exe = os.path.join(work, "model")
    cmd = [args.quantc, os.path.join(case.path, "model.onnx"), "-o", exe] + pins
    code, out = run_process(cmd, args.compile_timeout, cwd=work)
    if code is None:
        return "hang", "quantc ran past %gs" % args.compile_timeout
    if code != 0:
        if code != 1:
            detail = first_line(out, r"error:|Assertion|Stack dump|LLVM ERROR") \
                or first_line(out)
            return "crash", short("quantc %s%s" % (
                describe_exit(code), ": " + detail if detail else ""))
        unsupported = re.findall(r"\(([^(),]+), opset (\d+)\): unsupported op '([^']+)'",
                                 out)
        if unsupported:
            seen = []
            for _, opset, op in unsupported:
                item = "%s (opset %s)" % (op, opset)
                if item not in seen:
                    seen.append(item)
            return "unsupported-op", "unsupported op " + ", ".join(seen)
        return "compile-error", compile_error_reason(out)

    out_dir = os.path.join(work, "out")
    code, out = run_process([exe] + run_inputs + ["--output-dir", out_dir],
                            args.run_timeout, cwd=work)
    if code is None:
        return "hang", "executable ran past %gs" % args.run_timeout
    if code < 0 or code > 1:
        detail = first_line(out, r"error") or first_line(out)
        return "crash", short("executable %s%s" % (
            describe_exit(code), ": " + detail if detail else ""))
    if code != 0:
        return "run-error", short(first_line(out, r"error") or first_line(out)
                                  or "exit code 1")

    problems = []
    for name, want in expected:
        path = os.path.join(out_dir, sanitize(name) + ".npy")
        if not os.path.exists(path):
            problems.append("output %s not written" % name)
            continue
        try:
            got = np.load(path, allow_pickle=False)
        except Exception as e:
            problems.append("output %s unreadable: %s" % (name, short(str(e), 80)))
            continue
        problem = compare(name, got, want)
        if problem:
            problems.append(problem)
    if problems:
        return "mismatch", short("; ".join(problems))
    return "pass", ""


def read_expect(path):
    expect = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.split("\t")
            if fields[:2] == ["case", "status"]:
                continue
            if len(fields) < 2 or fields[1] not in STATUSES:
                sys.exit("run_backend.py: error: %s:%d: expected "
                         "'case<TAB>status', status one of %s" %
                         (path, n, ", ".join(STATUSES)))
            expect[fields[0]] = fields[1]
    return expect


def tsv_field(text):
    return text.replace("\t", " ").replace("\n", " ")


def write_table(path, results):
    with open(path, "w") as f:
        f.write("case\tops\tstatus\treason\n")
        for r in results:
            f.write("%s\t%s\t%s\t%s\n" % (r.name, ",".join(r.ops), r.status,
                                          tsv_field(r.reason)))


def write_expect(path, results, args):
    with open(path, "w") as f:
        f.write("# Expected status of each vendored ONNX backend case "
                "(backend.test fails when\n"
                "# a `pass` case does not pass). Regenerate after quantc "
                "changes, from the repository root:\n"
                "#   /usr/bin/python3 test/onnx-backend/run_backend.py "
                "--quantc build/bin/quantc \\\n"
                "#     --cases test/onnx-backend/cases "
                "--write-expect test/onnx-backend/expected-status.tsv\n")
        f.write("case\tstatus\n")
        for r in results:
            f.write("%s\t%s\n" % (r.name, r.status))


def summary_counts(results):
    tops = [t for t in TOP_DIRS if any(r.name.split("/")[0] == t for r in results)]
    tops += sorted({r.name.split("/")[0] for r in results} - set(tops))
    counts = collections.defaultdict(collections.Counter)
    for r in results:
        counts[r.name.split("/")[0]][r.status] += 1
    statuses = [s for s in STATUSES if any(counts[t][s] for t in tops)]
    return tops, statuses, counts


def supported_counts(results):
    supported = [r for r in results if r.all_supported]
    return (len(supported), sum(1 for r in supported if r.status == "pass"),
            sum(1 for r in supported if r.status == "pass-bound"))


def summary_text(results, elapsed):
    tops, statuses, counts = summary_counts(results)
    header = ["directory"] + statuses + ["total"]
    rows = []
    for t in tops:
        rows.append([t] + [str(counts[t][s]) for s in statuses] +
                    [str(sum(counts[t].values()))])
    rows.append(["all"] + [str(sum(counts[t][s] for t in tops)) for s in statuses]
                + [str(len(results))])
    widths = [max(len(row[i]) for row in [header] + rows)
              for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths)))
             for row in [header] + rows]
    n_sup, n_sup_pass, n_sup_bound = supported_counts(results)
    lines.append("cases whose ops are all in SUPPORTED_LIST: %d, of them pass: "
                 "%d, pass-bound: %d" % (n_sup, n_sup_pass, n_sup_bound))
    lines.append("%d cases in %.1fs" % (len(results), elapsed))
    return "\n".join(lines)


def md_cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def write_markdown(path, results, elapsed, title):
    tops, statuses, counts = summary_counts(results)
    n_sup, n_sup_pass, n_sup_bound = supported_counts(results)
    out = ["# %s" % title, ""]
    out.append("| directory | " + " | ".join(statuses) + " | total |")
    out.append("|---|" + "---:|" * (len(statuses) + 1))
    for t in tops:
        out.append("| %s | %s | %d |" % (
            t, " | ".join(str(counts[t][s]) for s in statuses),
            sum(counts[t].values())))
    out.append("| **all** | %s | **%d** |" % (
        " | ".join("**%d**" % sum(counts[t][s] for t in tops) for s in statuses),
        len(results)))
    out += ["", "Cases whose ops are all in SUPPORTED_LIST: %d, of them pass: "
            "%d, pass-bound: %d." % (n_sup, n_sup_pass, n_sup_bound), "",
            "%d cases in %.1f s." % (len(results), elapsed), ""]

    bad = [r for r in results if r.status in FAILURES_OF_THE_RUN]
    if bad:
        out += ["## Crashes and hangs", "", "| case | status | reason |",
                "|---|---|---|"]
        out += ["| %s | %s | %s |" % (r.name, r.status, md_cell(r.reason))
                for r in bad]
        out.append("")

    unsupported = collections.Counter()
    for r in results:
        if r.status == "unsupported-op":
            for op in re.findall(r"(\S+) \(opset", r.reason):
                unsupported[op] += 1
    if unsupported:
        out += ["## Unsupported ops (number of cases)", ""]
        out.append(", ".join("%s %d" % (op, n)
                             for op, n in unsupported.most_common()))
        out.append("")

    out += ["## All cases", "", "| case | ops | status | reason |",
            "|---|---|---|---|"]
    out += ["| %s | %s | %s | %s |" % (r.name, md_cell(", ".join(r.ops)),
                                       r.status, md_cell(r.reason))
            for r in results]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    parser = argparse.ArgumentParser(
        description="Run ONNX backend test cases through quantc.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--quantc", required=True,
                        help="the quantc driver (a path, or a name on PATH)")
    parser.add_argument("--cases", required=True, nargs="+", metavar="DIR",
                        help="case directories, or directories of them")
    parser.add_argument("--filter", metavar="REGEX",
                        help="only cases whose name (TOP/NAME) matches")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--compile-timeout", type=float, default=300,
                        metavar="S")
    parser.add_argument("--run-timeout", type=float, default=60, metavar="S")
    parser.add_argument("--bind-int-inputs", action="store_true",
                        help="compile int32/int64 inputs in as constants "
                             "(quantc --bind-input), like onnx-mlir's "
                             "constant-input variant of the suite")
    parser.add_argument("--table", metavar="OUT.tsv")
    parser.add_argument("--markdown", metavar="OUT.md")
    parser.add_argument("--expect", metavar="EXPECTED.tsv")
    parser.add_argument("--write-expect", metavar="OUT.tsv",
                        help="write case<TAB>status for every case run")
    parser.add_argument("--workdir", metavar="DIR",
                        help="where per-case temporary directories go "
                             "(default: a new temporary directory)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the per-case work directories")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print every case's result as it finishes")
    args = parser.parse_args()

    quantc = shutil.which(args.quantc)
    if quantc is None:
        sys.exit("run_backend.py: error: quantc '%s' not found" % args.quantc)
    args.quantc = os.path.abspath(quantc)
    expect = read_expect(args.expect) if args.expect else None

    cases = find_cases(args.cases)
    if args.filter:
        pattern = re.compile(args.filter)
        cases = [c for c in cases if pattern.search(c.name)]
    if not cases:
        sys.exit("run_backend.py: error: no cases found")

    own_workroot = args.workdir is None
    if own_workroot:
        workroot = tempfile.mkdtemp(prefix="qc-backend.")
    else:
        workroot = os.path.abspath(args.workdir)
        os.makedirs(workroot, exist_ok=True)

    print("running %d cases with %s (%d jobs)" % (len(cases), args.quantc,
                                                  args.jobs), flush=True)
    start = time.monotonic()
    results = {}
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            futures = {pool.submit(run_case, c, args, workroot): c
                       for c in cases}
            done = 0
            for future in concurrent.futures.as_completed(futures):
                r = future.result()
                results[r.name] = r
                done += 1
                if args.verbose or r.status in FAILURES_OF_THE_RUN:
                    print("%-9s %s (%.1fs)%s" % (
                        r.status.upper() if r.status in FAILURES_OF_THE_RUN
                        else r.status, r.name, r.seconds,
                        ": " + r.reason if r.reason else ""), flush=True)
                elif done % 200 == 0:
                    print("... %d/%d" % (done, len(cases)), flush=True)
    finally:
        if own_workroot and not args.keep:
            shutil.rmtree(workroot, ignore_errors=True)
    elapsed = time.monotonic() - start

    ordered = [results[c.name] for c in cases]
    if args.table:
        write_table(args.table, ordered)
    if args.write_expect:
        write_expect(args.write_expect, ordered, args)
    if args.markdown:
        write_markdown(args.markdown, ordered, elapsed,
                       "ONNX backend tests: quantc")

    print()
    print(summary_text(ordered, elapsed))

    failed = False
    bad = [r for r in ordered if r.status in FAILURES_OF_THE_RUN]
    if bad:
        failed = True
        print("\n%d crashes/hangs (always a failure):" % len(bad))
        for r in bad:
            print("  %s %s: %s" % (r.status, r.name, r.reason))
    if expect is not None:
        # A case listed as pass-bound may also pass outright.
        allowed = {"pass": ("pass",), "pass-bound": ("pass", "pass-bound")}
        regressions = [r for r in ordered if expect.get(r.name) in allowed
                       and r.status not in allowed[expect[r.name]]]
        missing = sorted(n for n, s in expect.items()
                         if s in allowed and n not in results)
        new_passes = [r for r in ordered
                      if r.status in allowed and
                      r.status not in allowed.get(expect.get(r.name), ())]
        if regressions:
            failed = True
            print("\n%d cases expected to pass do not:" % len(regressions))
            for r in regressions:
                print("  %s: %s: %s" % (r.name, r.status, r.reason))
        if missing and not args.filter:
            print("\nnote: %d cases listed as pass were not found, e.g. %s"
                  % (len(missing), missing[0]))
        if new_passes:
            print("\n%d cases pass but are not listed so in %s "
                  "(update the list):" % (len(new_passes), args.expect))
            for r in new_passes:
                print("  %s\t%s" % (r.name, r.status))
    print("\nbackend suite: %s" % ("FAILED" if failed else "OK"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
