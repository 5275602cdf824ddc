#!/usr/bin/python3
"""Runs the generated hostile-input suite (hostile_cases.py) and checks the
contract every case shares:

  * no crash: the process exits (no signal, no sanitizer report);
  * no hang: it exits within --timeout seconds;
  * an "error" case exits with status 1 and prints exactly one
    'quantc: error:' (or '<binary>: error:') line, containing the expected
    text when the case names one, and leaves none of its `absent` files;
  * an "ok" case exits 0 and, when it has a numpy check, matches numpy;
  * an "any" case (damaged models) either succeeds or fails like an error;
  * no case changes the bytes of a `protect`ed file (the user's inputs).

usage: run_hostile.py --root REPO --workdir DIR [--damage N] [--filter RE]
       [--quantc PATH] [-v]

Prints one line per failing case (all with -v), then per-class counts and
'TOTAL: N cases, C crashes, H hangs, W wrong'; exits 1 if any case failed.
"""
import argparse
import collections
import hashlib
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_cases  # noqa: E402


def digest(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError as e:
        return "unreadable: %s" % e


def run_case(case, quantc, timeout):
    """Returns (kind, message): kind is ok, crash, hang or wrong."""
    before = {p: digest(p) for p in case.protect}
    for p in case.absent:  # from an earlier run in the same directory
        if os.path.lexists(p) and not os.path.isdir(p):
            os.remove(p)
    argv = list(case.argv)
    if argv[0] == "quantc":
        argv[0] = quantc
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, cwd=case.cwd)
    except subprocess.TimeoutExpired:
        return "hang", "no exit after %d s" % timeout
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode < 0 or proc.returncode >= 128 or \
            "Sanitizer" in stderr or "LLVM ERROR" in stderr or \
            "PLEASE submit a bug report" in stderr:
        return "crash", "status %d: %s" % (proc.returncode, stderr[-600:])
    problems = []
    for p in case.protect:
        if digest(p) != before[p]:
            problems.append("changed or removed input %s" % p)
    errors = [l for l in stderr.splitlines() if re.match(r"^(\S+: )?error: ", l)]
    failed = proc.returncode != 0
    if case.expect == "ok" and failed:
        problems.append("expected success, got status %d: %s" %
                        (proc.returncode, stderr.strip()[-400:]))
    if case.expect == "error" and not failed:
        problems.append("expected an error, got success")
    if failed:
        if proc.returncode != 1:
            problems.append("exit status %d" % proc.returncode)
        if len(errors) != 1:
            problems.append("%d error lines: %s" % (len(errors),
                                                    stderr.strip()[-400:]))
        elif case.text and case.text not in errors[0]:
            problems.append("error %r lacks %r" % (errors[0], case.text))
        for p in case.absent:
            if os.path.lexists(p):
                problems.append("left %s behind" % p)
    elif case.check:
        try:
            problem = case.check()
        except Exception as e:  # a missing or unreadable output
            problem = "check failed: %s" % e
        if problem:
            problems.append(problem)
    if problems:
        return "wrong", "; ".join(problems)
    return "ok", errors[0] if errors else "ok"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--quantc", default="quantc")
    ap.add_argument("--damage", type=int, default=40,
                    help="offsets per real model for truncation/bit flips")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--filter", default="")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    quantc = shutil.which(args.quantc) or args.quantc
    os.makedirs(args.workdir, exist_ok=True)
    counts = collections.defaultdict(collections.Counter)
    pattern = re.compile(args.filter)
    for case in hostile_cases.all_cases(args.workdir, args.root,
                                        args.damage):
        if not pattern.search(case.cls + "/" + case.name):
            continue
        kind, message = run_case(case, quantc, args.timeout)
        counts[case.cls][kind] += 1
        if kind != "ok" or args.v:
            print("%-5s %s/%s: %s" % (kind.upper(), case.cls, case.name,
                                      message), flush=True)
    total = collections.Counter()
    for cls in sorted(counts):
        c = counts[cls]
        total.update(c)
        print("%-14s %4d cases: %d crashes, %d hangs, %d wrong" %
              (cls, sum(c.values()), c["crash"], c["hang"], c["wrong"]))
    print("TOTAL: %d cases, %d crashes, %d hangs, %d wrong" %
          (sum(total.values()), total["crash"], total["hang"],
           total["wrong"]))
    return 1 if total["crash"] + total["hang"] + total["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
