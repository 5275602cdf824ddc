#!/usr/bin/python3
"""Imports every *.onnx fuzzer finding in --dir (quantc --compile-to=import)
and prints, per file, 'NAME: ok' or 'NAME: error: <first error line>', then
'N findings, C crashes'. A crash is a signal, a status other than 0 or 1,
a hang (60 s) or more than one error line."""
import argparse
import glob
import os
import shutil
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--quantc", required=True)
ap.add_argument("--dir", required=True)
ap.add_argument("--workdir", required=True)
args = ap.parse_args()
quantc = shutil.which(args.quantc) or args.quantc
crashes = 0
files = sorted(glob.glob(os.path.join(args.dir, "*.onnx")))
for path in files:
    name = os.path.basename(path)
    try:
        proc = subprocess.run([quantc, path, "--compile-to=import", "-o",
                               os.path.join(args.workdir, name + ".mlir")],
                              capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        print("%s: HANG" % name)
        crashes += 1
        continue
    errors = [l for l in proc.stderr.splitlines() if "error:" in l]
    if proc.returncode not in (0, 1) or len(errors) > 1:
        print("%s: CRASH (status %d)\n%s" % (name, proc.returncode,
                                             proc.stderr[-800:]))
        crashes += 1
    elif proc.returncode == 0:
        print("%s: ok" % name)
    else:
        print("%s: error: %s" % (name, errors[0].split("error: ", 1)[1]))
print("%d findings, %d crashes" % (len(files), crashes))
sys.exit(1 if crashes else 0)
