#!/usr/bin/python3
"""Checks a `quantc-eval perplexity` JSON result against make_tiny_lm.py's
numpy reference (expected.json).

usage: check_eval_json.py RESULT.json --expected EXPECTED.json
                          [--rows N] [--rtol 1e-5]

--rows N compares with the reference over the first N rows only (for
quantc-eval --limit N). Prints the values and "check-eval-json: OK", or the
mismatches and exits 1.
"""
import argparse
import json
import math
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("result")
    ap.add_argument("--expected", required=True)
    ap.add_argument("--rows", type=int)
    ap.add_argument("--rtol", type=float, default=1e-5)
    args = ap.parse_args()
    with open(args.result) as f:
        got = json.load(f)
    with open(args.expected) as f:
        ref = json.load(f)

    row_nll = ref["row_nll"]
    rows = args.rows if args.rows is not None else len(row_nll)
    per_row = ref["predictions"] // ref["windows"]
    nll = sum(row_nll[:rows]) / (rows * per_row)
    want = {
        "windows": rows,
        "predictions": rows * per_row,
        "nll_nats": nll,
        "bits_per_char": nll / math.log(2),
        "perplexity": math.exp(nll),
    }
    failed = False
    for key, value in want.items():
        if key not in got:
            print("missing key %s" % key)
            failed = True
            continue
        ok = (got[key] == value if isinstance(value, int)
              else math.isclose(got[key], value, rel_tol=args.rtol))
        print("%s got %r expected %r%s" % (key, got[key], value,
                                           "" if ok else "  MISMATCH"))
        failed |= not ok
    for key in ("mode", "seconds", "tokens_per_second"):
        if key not in got:
            print("missing key %s" % key)
            failed = True
    if failed:
        return 1
    print("check-eval-json: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
