#!/usr/bin/env python3
"""Checks a generator binary's tokens, for lit tests (numpy only).

usage:
  check_generation.py same TOKENS.npy REF.npy
      token-for-token equality with a reference decoding
  check_generation.py agreement TOKENS.npy REF.npy --min F
      fraction of positions equal to REF (FP32 tokens) >= F; prints it
  check_generation.py window PROMPT.npy TOKENS.npy WINDOW.npy [--rows N]
      writes WINDOW.npy: int64 [rows, W] = prompt + new tokens, zero-padded
      to W (--width, default 128), to run a model without a cache on
  check_generation.py teacher PROMPT.npy TOKENS.npy LOGITS.npy --row R
      LOGITS [1, W, V] are a cache-free forward pass over row R's prompt +
      new tokens: greedy decoding means every new token is the argmax at
      the position before it
  check_generation.py sampled FIRST_TOKENS.txt LOGITS.npy --pos P --temperature T
      the empirical distribution of first new tokens (one per line, over
      seeds) is softmax(LOGITS[0, P] / T): total variation <= --max-tv
"""

import argparse
import sys

import numpy as np


def fail(msg):
    print("error: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--min", type=float)
    ap.add_argument("--rows", type=int)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--row", type=int, default=0)
    ap.add_argument("--pos", type=int)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--max-tv", type=float, default=0.1)
    a = ap.parse_args()

    if a.mode in ("same", "agreement"):
        out, ref = np.load(a.files[0]), np.load(a.files[1])
        if out.dtype != np.int64 or out.shape != ref.shape:
            fail("tokens are %s %s, the reference %s %s"
                 % (out.dtype, out.shape, ref.dtype, ref.shape))
        eq = out == ref
        print("tokens %dx%d agreement %.4f" % (out.shape + (eq.mean(),)))
        if a.mode == "same" and not eq.all():
            r, k = np.argwhere(~eq)[0]
            fail("row %d differs first at new token %d: %d, reference %d"
                 % (r, k, out[r, k], ref[r, k]))
        if a.mode == "agreement" and eq.mean() < a.min:
            fail("agreement %.4f < %.4f" % (eq.mean(), a.min))
    elif a.mode == "window":
        prompt, tokens = np.load(a.files[0]), np.load(a.files[1])
        seq = np.concatenate([prompt, tokens], axis=1)
        rows = a.rows or seq.shape[0]
        w = np.zeros((rows, a.width), dtype=np.int64)
        w[:, :seq.shape[1]] = seq[:rows]
        np.save(a.files[2], w)
    elif a.mode == "teacher":
        prompt, tokens = np.load(a.files[0]), np.load(a.files[1])
        logits = np.load(a.files[2])[0]
        p = prompt.shape[1]
        new = tokens[a.row]
        # The token at position p + k was chosen from the logits at p + k - 1.
        pred = logits[p - 1:p - 1 + len(new)].argmax(-1)
        top2 = np.sort(logits[p - 1:p - 1 + len(new)], -1)[:, -2:]
        margin = (top2[:, 1] - top2[:, 0]).min()
        ok = pred == new
        print("teacher-forced row %d: %d/%d new tokens are the argmax "
              "(min top-2 margin %.2e)" % (a.row, ok.sum(), len(new), margin))
        if not ok.all():
            fail("new token %d is %d, the cache-free argmax %d"
                 % (np.argmin(ok), new[np.argmin(ok)], pred[np.argmin(ok)]))
    elif a.mode == "sampled":
        seen = np.array([int(l) for l in open(a.files[0]) if l.strip()])
        logits = np.load(a.files[1])[0, a.pos].astype(np.float64)
        z = logits / a.temperature
        p = np.exp(z - z.max())
        p /= p.sum()
        emp = np.bincount(seen, minlength=len(p)) / len(seen)
        tv = 0.5 * np.abs(emp - p).sum()
        print("sampled %d first tokens: %d distinct, total variation %.4f "
              "from softmax(logits / %g)" % (len(seen), len(set(seen)), tv,
                                            a.temperature))
        if tv > a.max_tv:
            fail("total variation %.4f > %.4f" % (tv, a.max_tv))
    else:
        fail("unknown mode " + a.mode)


if __name__ == "__main__":
    main()
