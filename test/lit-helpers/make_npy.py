#!/usr/bin/env python3
"""Writes test inputs for lit tests.

usage: make_npy.py OUT.npy --shape AxBxC [--dtype float32] [--fill V]
       make_npy.py OUT --truncate SRC --bytes N   (first N bytes of SRC)
"""

import argparse
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--shape")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--fill", type=float, default=0.5)
    ap.add_argument("--truncate")
    ap.add_argument("--bytes", type=int)
    args = ap.parse_args()
    if args.truncate:
        with open(args.truncate, "rb") as f:
            data = f.read()
        with open(args.out, "wb") as f:
            f.write(data[: args.bytes])
        return 0
    if not args.shape:
        ap.error("--shape or --truncate is required")
    shape = tuple(int(d) for d in args.shape.split("x")) if args.shape != "scalar" else ()
    np.save(args.out, np.full(shape, args.fill, dtype=np.dtype(args.dtype)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
