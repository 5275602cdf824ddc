#!/usr/bin/python3
"""numpy reference for weight-views.onnxtxt: checks the compiled output."""
import sys

import numpy as np

embed = np.array([[1.0, 2.0], [-1.0, 0.5], [0.25, -2.0], [3.0, 1.5]], np.float32)
ids = np.array([[2, 0, 1]])
x = embed[ids]
a = x @ np.array([0.5, -1.0, 2.0, 1.0], np.float32).reshape(2, 2)
b = a @ np.array([[1.0, 0.5], [-0.5, 2.0]], np.float64).astype(np.float32)
c = b.reshape(3, 2) @ np.array([[2.0, 0.0], [1.0, -1.0]], np.float32)
want = c.reshape(1, 3, 2) @ embed.T
got = np.load(sys.argv[1])
err = np.abs(got - want).max()
print("max-abs-diff", err)
sys.exit(0 if got.shape == want.shape and err <= 1e-5 else 1)
