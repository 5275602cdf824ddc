#!/bin/sh
#===- runtime_test.sh - End-to-end test of the model runtime's main() -----===#
#
# Runs the fake model executable (fake_model.c linked with qc_runtime) on .npy
# files made by NumPy, and checks outputs, --help and every error path.
#
# usage: sh runtime_test.sh PATH/TO/qc-runtime-fake-model SCRATCH_DIR
#
#===-----------------------------------------------------------------------===#

set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 FAKE_MODEL_EXE SCRATCH_DIR" >&2
  exit 2
fi
EXE=$1
S=$2
# Debian's interpreter is the one with python3-numpy installed; a pyenv or
# venv python on PATH may lack it.
PY=/usr/bin/python3

if ! "$PY" -c 'import numpy' 2>/dev/null; then
  echo "error: $PY cannot import numpy (apt-get install python3-numpy)" >&2
  exit 1
fi

rm -rf "$S"
mkdir -p "$S" || exit 1

passed=0
failed=0

pass() {
  passed=$((passed + 1))
}

fail() {
  failed=$((failed + 1))
  echo "FAIL: $1" >&2
  if [ -f "$S/stderr" ]; then
    sed 's/^/  stderr: /' "$S/stderr" >&2
  fi
}

# run ARGS...: runs the model, capturing stdout, stderr and the exit code.
run() {
  "$EXE" "$@" >"$S/stdout" 2>"$S/stderr"
  rc=$?
}

# expect_error TEST RC PATTERN...: the last run exited with RC and its stderr
# starts with "error: " and mentions every PATTERN.
expect_error() {
  test_name=$1
  want_rc=$2
  shift 2
  if [ "$rc" -ne "$want_rc" ]; then
    fail "$test_name: exit code $rc, expected $want_rc"
    return
  fi
  if ! head -n 1 "$S/stderr" | grep -q '^error: '; then
    fail "$test_name: stderr does not start with 'error: '"
    return
  fi
  for pattern in "$@"; do
    if ! grep -qF -- "$pattern" "$S/stderr"; then
      fail "$test_name: stderr does not mention \"$pattern\""
      return
    fi
  done
  pass
}

# check TEST PYTHON-SNIPPET: the snippet (run with the scratch dir as
# sys.argv[1] and numpy as np) must exit 0.
check() {
  test_name=$1
  if "$PY" -c "import sys, os, numpy as np; d = sys.argv[1]
$2" "$S" 2>"$S/pyerr"; then
    pass
  else
    fail "$test_name"
    sed 's/^/  python: /' "$S/pyerr" >&2
  fi
}

#===-----------------------------------------------------------------------===#
# Inputs, including hand-written headers NumPy itself would not produce.
#===-----------------------------------------------------------------------===#

"$PY" - "$S" <<'EOF' || { echo "error: could not create inputs" >&2; exit 1; }
import sys, os, numpy as np
d = sys.argv[1]
j = lambda name: os.path.join(d, name)
a = (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) * 0.75
b = np.array([10, -20, 1 << 40], dtype=np.int64)
np.save(j("a.npy"), a)
np.save(j("b.npy"), b)

np.save(j("a_shape.npy"), a.reshape(3, 2))
np.save(j("a_rank.npy"), a.reshape(6))
np.save(j("a_f16.npy"), a.astype(np.float16))
np.save(j("a_bool.npy"), a > 0)
np.save(j("b_i32.npy"), b.astype(np.int32))
np.save(j("b_big.npy"), b.astype(">i8"))
np.save(j("a_fortran.npy"), np.asfortranarray(a))
with open(j("a.npy"), "rb") as f:
    raw = f.read()
with open(j("a_trunc.npy"), "wb") as f:
    f.write(raw[:-5])
with open(j("a_long.npy"), "wb") as f:
    f.write(raw + b"\0\0\0\0")
with open(j("a_headonly.npy"), "wb") as f:
    f.write(raw[:20])
with open(j("garbage.npy"), "wb") as f:
    f.write(b"this is not a numpy file at all")

for version in [(2, 0), (3, 0)]:
    with open(j("a_v%d.npy" % version[0]), "wb") as f:
        np.lib.format.write_array(f, a, version=version)

def handmade(name, header, payload, major=1):
    header = header.encode("latin1") + b"\n"
    if major == 1:
        pre = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
    else:
        pre = (b"\x93NUMPY" + bytes([major, 0])
               + len(header).to_bytes(4, "little"))
    with open(j(name), "wb") as f:
        f.write(pre + header + payload)

# Keys reordered, odd spacing, double quotes, no trailing comma, extra key.
handmade("a_odd.npy",
         "{ \"shape\" :(2,3 ) ,'fortran_order':False,  'descr':'<f4' ,"
         " 'future_key': [1, (2, 'x')]}", a.tobytes())
handmade("b_odd.npy", "{'descr': '=i8', 'shape': (3,), 'fortran_order': False}",
         b.tobytes(), major=2)
handmade("a_structured.npy",
         "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (6,), }",
         a.tobytes())
handmade("a_badshape.npy",
         "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }",
         a.tobytes())
handmade("a_nodescr.npy", "{'fortran_order': False, 'shape': (2, 3), }",
         a.tobytes())
EOF
touch "$S/not_a_dir"

#===-----------------------------------------------------------------------===#
# Successful runs.
#===-----------------------------------------------------------------------===#

OUTPUT_CHECK='
a = np.load(os.path.join(d, "a.npy"))
b = np.load(os.path.join(d, "b.npy"))
out = os.path.join(d, sys.argv[2] if len(sys.argv) > 2 else "out")
s = np.load(os.path.join(out, "sum.npy"))
c = np.load(os.path.join(out, "count.npy"))
assert s.dtype == np.float32 and s.shape == (2, 3), (s.dtype, s.shape)
assert np.array_equal(s, a + b.astype(np.float32)[None, :]), s
assert c.dtype == np.int64 and c.shape == (), (c.dtype, c.shape)
assert int(c) == 6, "count %d (-1 means a buffer was not 64-byte aligned)" % c
for name in ("sum.npy", "count.npy"):
    with open(os.path.join(out, name), "rb") as f:
        assert np.lib.format.read_magic(f) == (1, 0)
        np.lib.format.read_array_header_1_0(f)
        assert f.tell() % 64 == 0, "data not 64-byte aligned in file"
'

run --input a="$S/a.npy" --input b="$S/b.npy" --output-dir "$S/out"
if [ "$rc" -eq 0 ] && [ ! -s "$S/stderr" ]; then pass; else fail "good run"; fi
check "good run outputs" "$OUTPUT_CHECK"

run --input="b=$S/b.npy" --input="a=$S/a.npy" --output-dir="$S/out2" \
  --repeat 3 --time
if [ "$rc" -eq 0 ]; then pass; else fail "--input=, --repeat, --time run"; fi
check "--input= form outputs" "sys.argv.append('out2')
$OUTPUT_CHECK"
check "--time prints JSON" "import json
line = open(os.path.join(d, 'stderr')).read().strip().splitlines()[-1]
t = json.loads(line)
assert sorted(t) == ['mean_ms', 'min_ms', 'runs'], t
assert t['runs'] == 3 and 0 <= t['min_ms'] <= t['mean_ms'], t"

run --time --input a="$S/a.npy" --input b="$S/b.npy"
if [ "$rc" -eq 0 ] && grep -q '"runs": 1' "$S/stderr"; then pass
else fail "--time without --output-dir"; fi

# Format 2.0/3.0 files and unusual but valid headers.
run --input a="$S/a_v2.npy" --input b="$S/b_odd.npy" --output-dir "$S/out3"
if [ "$rc" -eq 0 ]; then pass; else fail "v2 header and '=i8' descr"; fi
check "v2/odd header outputs" "sys.argv.append('out3')
$OUTPUT_CHECK"
run --input a="$S/a_v3.npy" --input b="$S/b.npy" --output-dir "$S/out4"
if [ "$rc" -eq 0 ]; then pass; else fail "v3 header"; fi
run --input a="$S/a_odd.npy" --input b="$S/b.npy" --output-dir "$S/out5"
if [ "$rc" -eq 0 ]; then pass; else fail "reordered header keys"; fi
check "reordered header outputs" "sys.argv.append('out5')
$OUTPUT_CHECK"

#===-----------------------------------------------------------------------===#
# --help and usage.
#===-----------------------------------------------------------------------===#

run --help
if [ "$rc" -eq 0 ] &&
  grep -qE '^ +a +float32 +\[2,3\]$' "$S/stdout" &&
  grep -qE '^ +b +int64 +\[3\]$' "$S/stdout" &&
  grep -qE '^ +sum +float32 +\[2,3\]$' "$S/stdout" &&
  grep -qE '^ +count +int64 +\[\]$' "$S/stdout" &&
  grep -q -- '--output-dir' "$S/stdout"; then
  pass
else
  fail "--help lists the interface"
  sed 's/^/  stdout: /' "$S/stdout" >&2
fi
run -h
if [ "$rc" -eq 0 ] && grep -q 'inputs:' "$S/stdout"; then pass
else fail "-h"; fi

run
if [ "$rc" -eq 2 ] && grep -q 'usage:' "$S/stderr" && [ ! -s "$S/stdout" ]
then pass; else fail "no arguments prints usage to stderr, exit 2"; fi

#===-----------------------------------------------------------------------===#
# Errors. Input problems exit 1, command-line problems exit 2.
#===-----------------------------------------------------------------------===#

A="a=$S/a.npy"
B="b=$S/b.npy"

run --input "$A" --output-dir "$S/err"
expect_error "missing input" 1 "'b'" "int64 [3]"

run --input "a=$S/a_shape.npy" --input "$B" --output-dir "$S/err"
expect_error "wrong shape" 1 "'a'" "a_shape.npy" \
  "expected float32 [2,3], got float32 [3,2]"

run --input "a=$S/a_rank.npy" --input "$B" --output-dir "$S/err"
expect_error "wrong rank" 1 "'a'" "expected float32 [2,3], got float32 [6]"

run --input "$A" --input "b=$S/b_i32.npy" --output-dir "$S/err"
expect_error "wrong dtype" 1 "'b'" "b_i32.npy" \
  "expected int64 [3], got int32 [3]"

run --input "a=$S/a_f16.npy" --input "$B" --output-dir "$S/err"
expect_error "float16 input" 1 "'a'" "got float16 [2,3]"

run --input "a=$S/a_bool.npy" --input "$B" --output-dir "$S/err"
expect_error "bool input" 1 "'a'" "got bool [2,3]"

run --input "$A" --input "$B" --input "c=$S/a.npy" --output-dir "$S/err"
expect_error "unknown input name" 1 "'c'" "'a', 'b'"

run --input "$A" --input "$B" --input "a=$S/a_v2.npy" --output-dir "$S/err"
expect_error "duplicate input" 1 "'a'" "twice"

run --input "a=$S/a_trunc.npy" --input "$B" --output-dir "$S/err"
expect_error "truncated data" 1 "'a'" "a_trunc.npy" "truncated"

run --input "a=$S/a_headonly.npy" --input "$B" --output-dir "$S/err"
expect_error "truncated header" 1 "'a'" "truncated"

run --input "a=$S/a_long.npy" --input "$B" --output-dir "$S/err"
expect_error "trailing data" 1 "'a'" "longer"

run --input "a=$S/does_not_exist.npy" --input "$B" --output-dir "$S/err"
expect_error "nonexistent file" 1 "'a'" "does_not_exist.npy" \
  "No such file"

run --input "a=$S/garbage.npy" --input "$B" --output-dir "$S/err"
expect_error "not a .npy file" 1 "'a'" "not a .npy file"

run --input "$A" --input "b=$S/b_big.npy" --output-dir "$S/err"
expect_error "big-endian" 1 "'b'" "big-endian"

run --input "a=$S/a_fortran.npy" --input "$B" --output-dir "$S/err"
expect_error "fortran order" 1 "'a'" "Fortran"

run --input "a=$S/a_structured.npy" --input "$B" --output-dir "$S/err"
expect_error "structured dtype" 1 "'a'" "structured"

run --input "a=$S/a_badshape.npy" --input "$B" --output-dir "$S/err"
expect_error "negative dimension" 1 "'a'" "shape"

run --input "a=$S/a_nodescr.npy" --input "$B" --output-dir "$S/err"
expect_error "missing descr" 1 "'a'" "descr"

run --input "$S/a.npy" --input "$B" --output-dir "$S/err"
expect_error "bare FILE with two inputs" 1 "NAME=FILE" "a.npy"

run --input "$A" --input "$B" --output-dir "$S/not_a_dir"
expect_error "output dir is a file" 1 "not_a_dir"

run --input "$A" --input "$B" --output-dir "$S/missing/deeper"
expect_error "output dir parent missing" 1 "missing/deeper"

mkdir -p "$S/blocked/sum.npy"
run --input "$A" --input "$B" --output-dir "$S/blocked"
expect_error "output file cannot be written" 1 "'sum'" "blocked/sum.npy"

run --input "$A" --input "$B" --output-dir "$S/err" --bogus
expect_error "unknown option" 2 "--bogus"

run --input "$A" --input "$B" --output-dir "$S/err" --repeat 0
expect_error "bad --repeat" 2 "--repeat"

run --input "$A" --input "$B" --output-dir
expect_error "option without value" 2 "--output-dir"

run --input "$A" --input "$B"
expect_error "no --output-dir" 2 "--output-dir"

run --input "$A" --input "$B" --output-dir "$S/err" stray
expect_error "stray argument" 2 "stray"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
