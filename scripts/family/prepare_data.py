"""Builds the fortunes corpus and writes vocab.json, calib.npy, eval.npy and
corpus.json into examples/llama-family/{llama,qwen2}/ (identical copies).

usage: /usr/bin/python3 scripts/family/prepare_data.py
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import family_model as fm  # noqa: E402


def main():
    d = fm.load_splits()
    a, b = d["bounds"]
    n = len(d["ids"])
    calib = fm.calib_windows(d["train"])
    ev = fm.eval_windows(d["test"])
    vocab = {"type": "char", "itos": d["itos"], "stoi": d["stoi"]}
    info = {
        "source": "Debian packages fortunes / fortunes-min (fortune-mod 1:1.99.1-7.3), "
                  + fm.FORTUNES_DIR,
        "files": d["files"],
        "chars": n,
        "md5": fm.corpus_md5(d["text"]),
        "vocab": len(d["itos"]),
        "splits": {"train": [0, a], "val": [a, b], "test": [b, n]},
        "calib": {"shape": list(calib.shape), "split": "train", "seed": 0},
        "eval": {"shape": list(ev.shape), "split": "test",
                 "windows": "non-overlapping, evenly spread"},
    }
    for arch in fm.CONFIGS:
        out = fm.model_dir(arch)
        os.makedirs(out, exist_ok=True)
        np.save(os.path.join(out, "calib.npy"), calib)
        np.save(os.path.join(out, "eval.npy"), ev)
        with open(os.path.join(out, "vocab.json"), "w") as f:
            json.dump(vocab, f, indent=1)
    os.makedirs(fm.WORK_DIR, exist_ok=True)
    with open(os.path.join(fm.WORK_DIR, "corpus.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps({k: v for k, v in info.items() if k != "files"}, indent=1))
    print("files:", len(d["files"]))


if __name__ == "__main__":
    main()
