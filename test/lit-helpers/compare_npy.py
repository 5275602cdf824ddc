#!/usr/bin/env python3
"""Checks a model's output .npy against references, for lit tests.

usage: compare_npy.py OUT.npy [--ref REF.npy [--rows N] [--atol X]]
                              [--labels LABELS.npy [--min-accuracy A]
                               [--accuracy-near R --points P]]

--ref       compares OUT[:N] (N = --rows, default: all of REF) with REF
            elementwise: max |OUT - REF| <= --atol (default 1e-4).
--labels    accuracy of argmax(OUT, axis=1) against integer labels;
            --min-accuracy A requires accuracy >= A, --accuracy-near R
            --points P requires |accuracy - R| <= P/100.

Prints one line per check ("max-abs-diff ...", "accuracy ...") and
"error: ..." lines to stderr; exits 1 if any check fails, 2 on bad usage.
Runs with /usr/bin/python3 (numpy); keep it free of other dependencies.
"""

import argparse
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output")
    ap.add_argument("--ref")
    ap.add_argument("--rows", type=int)
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--labels")
    ap.add_argument("--min-accuracy", type=float)
    ap.add_argument("--accuracy-near", type=float)
    ap.add_argument("--points", type=float)
    args = ap.parse_args()
    if (args.accuracy_near is None) != (args.points is None):
        ap.error("--accuracy-near and --points go together")
    if args.ref is None and args.labels is None:
        ap.error("nothing to check: give --ref and/or --labels")

    out = np.load(args.output)
    ok = True

    def fail(msg):
        nonlocal ok
        ok = False
        print("error: " + msg, file=sys.stderr)

    if not np.issubdtype(out.dtype, np.floating):
        fail(f"{args.output}: dtype {out.dtype}, expected a float type")
    elif not np.all(np.isfinite(out)):
        fail(f"{args.output}: {int(np.sum(~np.isfinite(out)))} non-finite values")

    if args.ref is not None:
        ref = np.load(args.ref)
        rows = args.rows if args.rows is not None else ref.shape[0]
        if ref.shape[0] < rows or out.shape[0] < rows:
            fail(f"need {rows} rows: output has {out.shape[0]}, "
                 f"reference {ref.shape[0]}")
        elif out.shape[1:] != ref.shape[1:]:
            fail(f"output rows have shape {out.shape[1:]}, "
                 f"reference rows {ref.shape[1:]}")
        else:
            diff = np.abs(out[:rows].astype(np.float64) -
                          ref[:rows].astype(np.float64))
            worst = np.unravel_index(np.argmax(diff), diff.shape)
            print(f"max-abs-diff {diff.max():.3e} over {rows} rows "
                  f"(atol {args.atol:g}, worst at {tuple(int(i) for i in worst)})")
            if not diff.max() <= args.atol:
                fail(f"max |output - reference| = {diff.max():.3e} > "
                     f"{args.atol:g} at {tuple(int(i) for i in worst)}: "
                     f"{out[worst]} vs {ref[worst]}")

    if args.labels is not None:
        labels = np.load(args.labels)
        if out.ndim != 2 or out.shape[0] != labels.shape[0]:
            fail(f"output shape {out.shape} does not match {labels.shape[0]} labels")
        else:
            pred = np.argmax(out, axis=1)
            correct = int(np.sum(pred == labels))
            acc = correct / labels.shape[0]
            print(f"accuracy {acc:.4f} ({correct}/{labels.shape[0]})")
            if args.min_accuracy is not None and acc < args.min_accuracy:
                fail(f"accuracy {acc:.4f} < {args.min_accuracy}")
            if args.accuracy_near is not None:
                delta = 100.0 * (acc - args.accuracy_near)
                print(f"accuracy-delta {delta:+.2f} points vs {args.accuracy_near}")
                if abs(delta) > args.points + 1e-9:
                    fail(f"accuracy {acc:.4f} is {delta:+.2f} points from "
                         f"{args.accuracy_near} (allowed {args.points})")

    if ok:
        print("compare-npy: OK")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
