#!/usr/bin/python3
"""Independent numpy reference of GPTQ for the qc GPTQ pass lit tests.

A straightforward float64 GPTQ (Frantar et al., ICLR 2023), column by column
without lazy blocks, written from the paper, with the same conventions as
lib/Quant/GPTQSolver.cpp:

- H is symmetrized; dead columns (diag(H) == 0) get H[i, i] = 1, W[:, i] = 0;
- per channel (group 0) parameters come from the input rows (before dead
  columns are zeroed); static groups from the zeroed weights' contiguous
  groups; otherwise each group's parameters are found on the current
  (error-updated) weights of its columns when its first column comes up;
- act-order: columns by descending diag(H), ties in column order (stable);
- damping dampPercent * mean(diag(H)), retried with max(damp, 0.001) * 10^k
  for k = 1, 2, 3 when H is not positive definite;
- U = upper Cholesky factor of H^-1; quantizing column j spreads
  err = (w - q) / U[j, j] as W[:, j+1:] -= err U[j, j+1:];
- the quantizer runs on float32 values (the min/max quantizer of the GPTQ
  authors, range widened to hold 0, or with --awq-range the AWQ authors'
  pseudo_quantize_tensor), weights and updates in float64.

The lazy block size does not change the result (the C++ code finds group
parameters on the fully updated weights), so --block is accepted and ignored.

Prints JSON: codes [rows][cols] in the original column order, scales and
zero_points [rows][groups], group_index (per original column; empty unless
--act-order with --group > 0 without --static-groups), packed (the codes
packed LSB-first per row as signed bytes, as rtn_reference.py) and
layer_error = tr((W - Q) H (W - Q)^T) with the input W and H.

    gptq_reference.py --weights W.npy --hessian H.npy --bits 4 --group 8 \
        [--sym] [--act-order] [--static-groups] [--damp 0.01] [--block 128]
    gptq_reference.py --self-test
"""
import argparse
import json
import sys

import numpy as np


def round_scale(scale, scale_type):
    """Rounds float32 scales to f16/bf16 precision (nearest, ties to even)."""
    scale = np.asarray(scale, dtype=np.float32)
    if scale_type == "f16":
        return scale.astype(np.float16).astype(np.float32)
    if scale_type == "bf16":
        u = np.atleast_1d(scale).view(np.uint32).astype(np.uint64)
        one, sixteen = np.uint64(1), np.uint64(16)
        u = (u + np.uint64(0x7FFF) + ((u >> sixteen) & one)) & \
            np.uint64(0xFFFF0000)
        return u.astype(np.uint32).view(np.float32).reshape(scale.shape)
    return scale


def find_params(x, bits, sym, range_zero=True, scale_type="f32"):
    """Per-row (scale, zero point) of x [rows, n], float32 arithmetic."""
    x = np.asarray(x, dtype=np.float32)
    maxq = np.float32(2**bits - 1)
    if range_zero:
        lo = np.minimum(x.min(axis=1), np.float32(0))
        hi = np.maximum(x.max(axis=1), np.float32(0))
        if sym:
            hi = np.maximum(-lo, hi)
            lo = -hi
        degenerate = (lo == 0) & (hi == 0)
        lo = np.where(degenerate, np.float32(-1), lo)
        hi = np.where(degenerate, np.float32(1), hi)
        scale = round_scale((hi - lo) / maxq, scale_type)
    elif sym:
        absmax = np.abs(x).max(axis=1)
        max_int = np.float32(max(2**(bits - 1) - 1, 1))
        scale = round_scale(np.maximum(absmax, np.float32(1e-5)) / max_int,
                            scale_type)
    else:
        lo = x.min(axis=1)
        hi = x.max(axis=1)
        scale = round_scale(np.maximum(hi - lo, np.float32(1e-5)) / maxq,
                            scale_type)
    tiny = np.float32(6.0e-8 if scale_type == "f16" else 1.0e-30)
    scale = np.where(scale > 0, scale, round_scale(tiny, scale_type))
    scale = scale.astype(np.float32)
    if sym:
        zero = np.full(x.shape[0], np.float32(2**(bits - 1)))
    else:
        zero = np.clip(np.round(-lo / scale), np.float32(0), maxq)
    return scale, zero.astype(np.float32)


def quantize(w, scale, zero, bits):
    """Codes and float32 values of the column w (one value per row)."""
    maxq = np.float32(2**bits - 1)
    wf = np.asarray(w, dtype=np.float64).astype(np.float32)
    codes = np.clip(np.round(wf / scale) + zero, np.float32(0), maxq)
    return codes.astype(np.int64), (scale * (codes - zero)).astype(np.float32)


def inverse_hessian_factor(h, damp):
    """Upper Cholesky factor U of (h + damp I)^-1 (U^T U = H^-1), or None."""
    try:
        lower = np.linalg.cholesky(h + damp * np.eye(h.shape[0]))
        lower_inv = np.linalg.inv(lower)
        h_inv = lower_inv.T @ lower_inv
        upper = np.linalg.cholesky((h_inv + h_inv.T) / 2).T
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(upper)) or not np.all(np.diag(upper) > 0):
        return None
    return upper


def gptq(weights, hessian, bits, group=0, sym=False, act_order=False,
         static_groups=False, damp=0.01, range_zero=True, scale_type="f32"):
    w_in = np.asarray(weights, dtype=np.float32)
    h_in = np.asarray(hessian, dtype=np.float64)
    rows, cols = w_in.shape
    if not (np.all(np.isfinite(w_in)) and np.all(np.isfinite(h_in))):
        raise ValueError("non-finite weight or Hessian entry")
    num_groups = 1 if group == 0 else (cols + group - 1) // group
    scales = np.zeros((rows, num_groups), dtype=np.float32)
    zeros = np.zeros((rows, num_groups), dtype=np.float32)
    fp = dict(bits=bits, sym=sym, range_zero=range_zero, scale_type=scale_type)

    if group == 0:
        scale, zero = find_params(w_in, **fp)
        scales[:, 0], zeros[:, 0] = scale, zero

    w = w_in.astype(np.float64)
    h = (h_in + h_in.T) / 2
    dead = np.diag(h) == 0
    h[dead, dead] = 1
    w[:, dead] = 0

    is_static = group > 0 and static_groups
    if is_static:
        for g in range(num_groups):
            scale, zero = find_params(w[:, g * group:(g + 1) * group], **fp)
            scales[:, g], zeros[:, g] = scale, zero

    perm = (np.argsort(-np.diag(h), kind="stable") if act_order
            else np.arange(cols))
    w = w[:, perm]
    h = h[perm][:, perm]

    mean_diag = np.mean(np.diag(h))
    upper, percent = None, damp
    for attempt in range(4):
        if attempt > 0:
            percent = max(damp, 0.001) * 10.0**attempt
        upper = inverse_hessian_factor(h, percent * mean_diag)
        if upper is not None:
            break
    if upper is None:
        raise ValueError("Hessian is not positive definite")

    codes = np.zeros((rows, cols), dtype=np.int64)
    scale, zero = scales[:, 0], zeros[:, 0]
    for j in range(cols):
        if is_static:
            g = perm[j] // group
            scale, zero = scales[:, g], zeros[:, g]
        elif group > 0 and j % group == 0:
            scale, zero = find_params(w[:, j:j + group], **fp)
            scales[:, j // group], zeros[:, j // group] = scale, zero
        code, q = quantize(w[:, j], scale, zero, bits)
        codes[:, perm[j]] = code
        err = (w[:, j] - q.astype(np.float64)) / upper[j, j]
        w[:, j + 1:] -= np.outer(err, upper[j, j + 1:])

    group_index = []
    if act_order and group > 0 and not is_static:
        inv = np.argsort(perm)
        group_index = [int(inv[c] // group) for c in range(cols)]

    # Decode in the original order and measure tr(dW H dW^T).
    cols_group = (np.zeros(cols, dtype=np.int64) if group == 0 else
                  np.array(group_index, dtype=np.int64) if group_index else
                  np.arange(cols) // group)
    decoded = (scales[:, cols_group] *
               (codes.astype(np.float32) - zeros[:, cols_group]))
    delta = w_in.astype(np.float64) - decoded.astype(np.float64)
    layer_error = float(np.sum((delta @ h_in) * delta))
    return codes, scales, zeros.astype(np.int64), group_index, layer_error


def pack(codes, bits):
    rows, cols = codes.shape
    row_bytes = (cols * bits + 7) // 8
    packed = []
    for r in range(rows):
        acc = 0
        for i in range(cols):
            acc |= int(codes[r, i]) << (i * bits)
        row = [(acc >> (8 * j)) & 0xFF for j in range(row_bytes)]
        packed.append([b - 256 if b > 127 else b for b in row])
    return packed


def run(weights, hessian, bits, **kw):
    codes, scales, zeros, gidx, err = gptq(weights, hessian, bits, **kw)
    return {
        "codes": codes.tolist(),
        "scales": [[float(s) for s in row] for row in scales],
        "zero_points": zeros.tolist(),
        "group_index": gidx,
        "packed": pack(codes, bits),
        "layer_error": err,
    }


def self_test():
    """Checks against values produced by lib/Quant/GPTQSolver.cpp (runGPTQ) and
    against properties that hold by construction."""
    x = np.array([[1.0, 0.5, -0.2, 0.3, 0.0, 1.1],
                  [0.3, -1.0, 0.8, 0.1, 0.0, -0.4],
                  [-0.7, 0.2, 0.4, -1.2, 0.0, 0.6],
                  [0.9, 0.9, -0.5, 0.2, 0.0, 0.1],
                  [0.1, -0.3, 1.3, 0.7, 0.0, -0.9],
                  [-0.4, 0.6, 0.2, 0.5, 0.0, 0.8],
                  [0.5, 0.4, 0.1, -0.6, 0.0, 0.3],
                  [1.2, -0.2, -0.9, 0.4, 0.0, 0.2]])
    h = 2 * x.T @ x / x.shape[0]  # column 4 is dead
    w = np.array([[0.12, -0.53, 0.33, 0.91, -0.27, 0.05],
                  [-0.44, 0.18, 0.76, -0.12, 0.39, -0.88],
                  [0.25, 0.61, -0.37, 0.08, -0.71, 0.47]], dtype=np.float32)
    expected = EXPECTED_FROM_CPP
    failures = 0
    for name, (kw, want) in expected.items():
        got = run(w, h, **kw)
        for key in ("codes", "zero_points", "group_index"):
            if got[key] != want[key]:
                print(f"FAIL {name} {key}: {got[key]} != {want[key]}")
                failures += 1
        if not np.allclose(got["scales"], want["scales"], rtol=0, atol=0):
            print(f"FAIL {name} scales: {got['scales']} != {want['scales']}")
            failures += 1
        if not np.isclose(got["layer_error"], want["layer_error"],
                          rtol=1e-9):
            print(f"FAIL {name} layer_error: {got['layer_error']} != "
                  f"{want['layer_error']}")
            failures += 1
    # H = I: nothing to compensate, GPTQ is round-to-nearest.
    from rtn_reference import rtn  # noqa: E402
    for group, sym in ((0, False), (2, False), (3, True)):
        got = run(w, np.eye(6), 4, group=group, sym=sym)
        packed, scales, zeros = rtn(w, 4, group, sym)
        if got["packed"] != packed or got["zero_points"] != zeros or \
                got["scales"] != [[float(s) for s in r] for r in scales]:
            print(f"FAIL identity Hessian g{group} sym{sym} != RTN")
            failures += 1
    print("self-test", "FAILED" if failures else "passed")
    return 1 if failures else 0


# Produced by runGPTQ (lib/Quant/GPTQSolver.cpp) on the self-test case.
EXPECTED_FROM_CPP = {'b4_per_channel': ({'bits': 4},
                    {'codes': [[7, 0, 9, 15, 6, 7],
                               [4, 10, 15, 7, 8, 0],
                               [11, 15, 4, 9, 8, 13]],
                     'scales': [[0.09600000083446503],
                                [0.1093333289027214],
                                [0.08799999207258224]],
                     'zero_points': [[6], [8], [8]],
                     'group_index': [],
                     'layer_error': 0.007966244700814328}),
 'b3_g2_act_order': ({'bits': 3, 'group': 2, 'act_order': True},
                     {'codes': [[7, 0, 7, 7, 0, 1],
                                [0, 7, 7, 0, 7, 0],
                                [7, 7, 0, 1, 0, 7]],
                      'scales': [[0.017142856493592262,
                                  0.04714285954833031,
                                  0.20534829795360565],
                                 [0.06285714358091354,
                                  0.23428571224212646,
                                  0.04652610793709755],
                                 [0.0357142873108387,
                                  0.12000000476837158,
                                  0.08682727813720703]],
                      'zero_points': [[0, 0, 3], [7, 4, 3], [0, 3, 0]],
                      'group_index': [0, 2, 1, 2, 0, 1],
                      'layer_error': 0.01302675497865243}),
 'b3_g4_act_static': ({'bits': 3,
                       'group': 4,
                       'act_order': True,
                       'static_groups': True},
                      {'codes': [[4, 0, 5, 7, 0, 7],
                                 [0, 4, 7, 3, 7, 0],
                                 [5, 7, 0, 3, 0, 7]],
                       'scales': [[0.20571430027484894,
                                   0.0071428571827709675],
                                  [0.17142857611179352,
                                   0.1257142871618271],
                                  [0.14000000059604645,
                                   0.06714285910129547]],
                       'zero_points': [[3, 0], [3, 7], [3, 0]],
                       'group_index': [],
                       'layer_error': 0.031605987748222375}),
 'b2_g3_sym_block2': ({'bits': 2, 'group': 3, 'sym': True},
                      {'codes': [[2, 0, 3, 3, 2, 2],
                                 [1, 2, 3, 2, 2, 1],
                                 [3, 3, 1, 2, 2, 3]],
                       'scales': [[0.35333332419395447, 0.662455141544342],
                                  [0.5066666603088379, 0.5798131823539734],
                                  [0.40666666626930237,
                                   0.35164275765419006]],
                       'zero_points': [[2, 2], [2, 2], [2, 2]],
                       'group_index': [],
                       'layer_error': 0.28990104977425346}),
 'b4_g2_awq_f16_damp10': ({'bits': 4,
                           'group': 2,
                           'range_zero': False,
                           'scale_type': 'f16',
                           'damp': 0.1},
                          {'codes': [[15, 0, 9, 15, 15, 0],
                                     [0, 15, 15, 0, 15, 0],
                                     [10, 15, 0, 15, 0, 15]],
                           'scales': [[0.0433349609375,
                                       0.0379638671875,
                                       0.00140380859375],
                                      [0.04132080078125,
                                       0.057647705078125,
                                       0.058197021484375],
                                      [0.0240020751953125,
                                       0.033660888671875,
                                       0.03985595703125]],
                           'zero_points': [[12, 0, 15],
                                           [11, 2, 15],
                                           [0, 12, 0]],
                           'group_index': [],
                           'layer_error': 0.09898012121536787}),
 'b8_g4_bf16_act': ({'bits': 8,
                     'group': 4,
                     'act_order': True,
                     'scale_type': 'bf16'},
                    {'codes': [[93, 0, 255, 255, 0, 39],
                               [69, 255, 255, 0, 137, 0],
                               [188, 254, 0, 33, 112, 255]],
                     'scales': [[0.0012969970703125, 0.005645751953125],
                                [0.006439208984375, 0.00118255615234375],
                                [0.0032958984375, 0.0023956298828125]],
                     'zero_points': [[0, 94], [137, 103], [112, 0]],
                     'group_index': [0, 1, 0, 1, 0, 0],
                     'layer_error': 9.231131951932396e-06})}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", help="row-major [rows, cols] .npy")
    p.add_argument("--hessian", help="[cols, cols] .npy, 2 X^T X / n")
    p.add_argument("--bits", type=int, default=4)
    p.add_argument("--group", type=int, default=0, help="0: per channel")
    p.add_argument("--sym", action="store_true")
    p.add_argument("--act-order", action="store_true")
    p.add_argument("--static-groups", action="store_true")
    p.add_argument("--damp", type=float, default=0.01)
    p.add_argument("--block", type=int, default=128,
                   help="accepted for symmetry with the pass; no effect")
    p.add_argument("--awq-range", action="store_true",
                   help="AWQ quantizer (QuantSpec::rangeIncludesZero=false)")
    p.add_argument("--scale-type", choices=("f32", "f16", "bf16"),
                   default="f32")
    p.add_argument("--self-test", action="store_true")
    args = p.parse_args()
    if args.self_test:
        sys.path.insert(0, __file__.rsplit("/", 1)[0])
        return self_test()
    if not args.weights or not args.hessian:
        p.error("--weights and --hessian are required")
    result = run(np.load(args.weights), np.load(args.hessian), args.bits,
                 group=args.group, sym=args.sym, act_order=args.act_order,
                 static_groups=args.static_groups, damp=args.damp,
                 range_zero=not args.awq_range, scale_type=args.scale_type)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
