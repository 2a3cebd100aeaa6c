#!/usr/bin/env python3
"""Reference values for LinalgTest: eigenvalues of a fixed symmetric matrix and singular values
of fixed tall and wide matrices, computed by numpy (LAPACK). Regenerate with
    python3 linalg_reference.py > linalg_reference.txt
The matrices are defined by closed formulas (no RNG) so the Java test can rebuild them, but the
file also carries them so the test reads exactly what numpy saw.
"""
import numpy as np


def fixed(m, n, a, b):
    i = np.arange(m).reshape(-1, 1)
    j = np.arange(n).reshape(1, -1)
    return np.sin(a * i + b * j + 0.5) + 0.1 * (i - j)


def emit(name, arr):
    arr = np.atleast_1d(arr)
    print(name, " ".join(str(d) for d in arr.shape), " ".join(repr(float(v)) for v in arr.ravel()))


b = fixed(9, 9, 0.7, 1.3)
sym = b @ b.T + np.diag(np.arange(9) * 0.25)
emit("sym", sym)
emit("sym_eigenvalues_desc", np.sort(np.linalg.eigvalsh(sym))[::-1])

tall = fixed(11, 5, 0.9, 0.4)
emit("tall", tall)
emit("tall_singular_values", np.linalg.svd(tall, compute_uv=False))

wide = fixed(4, 13, 0.3, 1.1)
emit("wide", wide)
emit("wide_singular_values", np.linalg.svd(wide, compute_uv=False))
