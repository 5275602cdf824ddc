"""Trains one llama-family model on the fortunes corpus for a wall-clock budget.

usage: /usr/bin/python3 scripts/family/train_family.py --arch llama|qwen2 [--budget-s 420]

Writes /tmp/llama-family/<arch>/weights.pt (state_dict) and train_log.json.
AdamW (0.9, 0.95), weight decay 0.1 on matrices (Linear weights and the
embedding table; none on norms and biases), peak lr 2e-3, linear warmup, cosine decay
driven by the wall-clock budget, grad clip 1.0, batch 32 x 128 random windows
of TRAIN, seed 1234, 1 torch thread.
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import family_model as fm  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True, choices=sorted(fm.CONFIGS))
    ap.add_argument("--budget-s", type=float, default=420.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)

    d = fm.load_splits()
    V = len(d["itos"])
    train = torch.as_tensor(d["train"])
    valw = fm.val_windows(d["val"], n=128)

    model = fm.build_model(args.arch, V)
    nparam = fm.param_count(model)
    print(f"{args.arch}: vocab {V}, {nparam} params", flush=True)

    # Weight decay on matrices (Linear weights and the embedding table, which
    # for qwen2 is also the LM head); none on RMSNorm weights and biases.
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (decay if p.dim() >= 2 else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))

    ctx = fm.CTX
    log = []
    t0 = time.time()
    step = 0
    tokens = 0

    def lr_at(step, elapsed):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        prog = min(1.0, elapsed / args.budget_s)
        return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * prog))

    def do_eval():
        model.eval()
        v = fm.eval_nll(model, valw)
        model.train()
        return v

    model.train()
    last_loss = float("nan")
    while True:
        elapsed = time.time() - t0
        if elapsed >= args.budget_s:
            break
        lr = lr_at(step, elapsed)
        for g in opt.param_groups:
            g["lr"] = lr
        offs = rng.randint(0, len(train) - ctx - 1, size=args.batch)
        xb = torch.stack([train[o:o + ctx] for o in offs])
        yb = torch.stack([train[o + 1:o + ctx + 1] for o in offs])
        logits = model(xb)
        loss = F.cross_entropy(logits.reshape(-1, V), yb.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += xb.numel()
        last_loss = loss.item()
        if step % args.eval_every == 0:
            v = do_eval()
            rec = {"step": step, "train_loss": last_loss, "val_loss": v,
                   "lr": lr, "time_s": time.time() - t0}
            log.append(rec)
            print(json.dumps(rec), flush=True)
    train_time = time.time() - t0
    final_val = do_eval()
    log.append({"step": step, "train_loss": last_loss, "val_loss": final_val,
                "lr": lr, "time_s": train_time, "final": True})
    print(json.dumps(log[-1]), flush=True)

    # Unigram baseline on val (train char frequencies).
    cnt = np.bincount(d["train"], minlength=V).astype(np.float64) + 1.0
    logp = np.log(cnt / cnt.sum())
    unigram = float(-logp[d["val"]].mean())

    out = os.path.dirname(fm.weights_path(args.arch))
    os.makedirs(out, exist_ok=True)
    torch.save(model.state_dict(), fm.weights_path(args.arch))
    meta = {
        "arch": args.arch, "vocab": V, "params": nparam, "config": fm.CONFIGS[args.arch],
        "train": {"steps": step, "time_s": train_time, "batch": args.batch, "ctx": ctx,
                  "lr": args.lr, "min_lr": args.min_lr, "warmup": args.warmup,
                  "betas": [0.9, 0.95], "weight_decay": 0.1, "grad_clip": 1.0,
                  "seed": args.seed, "threads": 1, "budget_s": args.budget_s,
                  "tokens_seen": tokens, "final_val_loss": final_val,
                  "unigram_val_loss": unigram},
        "train_log": log,
    }
    with open(os.path.join(out, "train_log.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("saved", fm.weights_path(args.arch))


if __name__ == "__main__":
    main()
