#!/usr/bin/env python3
"""Reference float32 -> float16 conversions for Float16Test (numpy rounds to nearest, ties to even).

Regenerate with:  python3 float16_reference.py > float16_reference.txt
Each line: <float32 bits hex> <float16 bits hex>. NaN is excluded (tested separately: numpy does not
specify which NaN payload survives).
"""
import numpy as np

rng = np.random.default_rng(20261126)
edges = [
    0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 1.0 / 3.0, 2.0 / 3.0, 65504.0, 65519.0, 65519.99, 65520.0,
    -65520.0, 1e5, 3.0e38, np.inf, -np.inf, 2.0 ** -14, 2.0 ** -15, 2.0 ** -24, 2.0 ** -25,
    2.0 ** -25 * (1 + 2.0 ** -23), 2.0 ** -26, 1.5 * 2.0 ** -24, 2.5 * 2.0 ** -24,
    (1 - 2.0 ** -11) * 2.0 ** -14, 1.0e-45, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11,
    1.0 + 2.0 ** -11 + 2.0 ** -23, 2049.0, 2051.0, 4097.0, 0.0009765625,
]
values = [np.float32(v) for v in edges]
# halfway points between consecutive halves (exact ties) and their float32 neighbours
halves = rng.integers(0, 0x7c00, size=300, dtype=np.uint16)
for h in halves:
    lo = np.uint16(h).view(np.float16).astype(np.float64)
    hi = np.uint16(h + 1).view(np.float16).astype(np.float64)
    mid = np.float32((lo + hi) / 2)
    values += [mid, np.nextafter(mid, np.float32(np.inf)), np.nextafter(mid, np.float32(-np.inf))]
# random bit patterns with exponents around the half range, both signs
bits = rng.integers(0, 1 << 23, size=2000, dtype=np.uint32) | (
    rng.integers(127 - 30, 127 + 18, size=2000, dtype=np.uint32) << 23
) | (rng.integers(0, 2, size=2000, dtype=np.uint32) << 31)
values += list(bits.view(np.float32))
for v in values:
    v = np.float32(v)
    if np.isnan(v):
        continue
    with np.errstate(over="ignore"):  # overflow to infinity is the expected result
        h = v.astype(np.float16)
    print(f"{v.view(np.uint32):08x} {h.view(np.uint16):04x}")
