#!/usr/bin/python3
"""Copies the vendored subset of ONNX's backend test data into cases/.

usage: vendor_cases.py SOURCE_DIR [--quantc PATH] [--dest DIR] [--dry-run]

SOURCE_DIR is an extracted onnx/backend/test/data tree with an index.tsv
(columns case_dir, op_types, ..., subgraph_op_types, ...; op_types comma
separated), e.g. shared/conformance/onnx-backend. Selected: every case of
node/ and simple/ whose top-level op types are all in run_backend.py's
SUPPORTED_LIST or imported by quantc (`quantc --list-ops`, with --quantc)
and that has no subgraph ops. Each is copied as
DEST/<top>/<case>/{model.onnx,test_data_set_0/}; DEST/<top>/ is replaced.
"""

import argparse
import csv
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_backend import SUPPORTED_LIST  # noqa: E402

TOPS = ("node", "simple")


def selected(index_path, ops_wanted):
    with open(index_path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            top = row["case_dir"].split("/")[0]
            ops = [op for op in row["op_types"].replace(" ", ",").split(",") if op]
            if (top in TOPS and ops and not row["subgraph_op_types"].strip()
                    and all(op in ops_wanted for op in ops)):
                yield row["case_dir"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source")
    parser.add_argument("--dest", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "cases"))
    parser.add_argument("--quantc", help="also vendor every case whose ops "
                        "this quantc imports (quantc --list-ops)")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()

    ops_wanted = set(SUPPORTED_LIST)
    if args.quantc:
        ops_wanted |= set(subprocess.run([args.quantc, "--list-ops"],
                                         check=True, capture_output=True,
                                         text=True).stdout.split())
    cases = list(selected(os.path.join(args.source, "index.tsv"), ops_wanted))
    total = 0
    for case in cases:
        for dirpath, _, files in os.walk(os.path.join(args.source, case)):
            total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    print("%d cases, %d bytes" % (len(cases), total))
    if args.dry_run:
        return 0
    for top in TOPS:
        shutil.rmtree(os.path.join(args.dest, top), ignore_errors=True)
    for case in cases:
        src = os.path.join(args.source, case)
        dst = os.path.join(args.dest, case)
        os.makedirs(dst)
        shutil.copyfile(os.path.join(src, "model.onnx"),
                        os.path.join(dst, "model.onnx"))
        shutil.copytree(os.path.join(src, "test_data_set_0"),
                        os.path.join(dst, "test_data_set_0"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
