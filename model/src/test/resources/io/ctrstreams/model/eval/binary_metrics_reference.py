#!/usr/bin/env python3
"""Reference values for BinaryMetricsTest (run from this directory: python3 binary_metrics_reference.py).

Writes a fixed sample (scores rounded to 2 decimals so that ties occur, labels ~30% positive)
to binary-metrics-sample.tsv and the expected metrics to binary-metrics-expected.properties.
AUC is computed by brute force over every positive/negative pair (ties count 1/2), independent
of the rank-based algorithm under test.
"""
import numpy as np

rng = np.random.default_rng(20241126)
n = 600
y = (rng.random(n) < 0.3).astype(np.int64)
# Informative but noisy scores so that AUC is neither 0.5 nor 1.
logit = -1.0 + 1.2 * y + rng.normal(0.0, 1.0, n)
p = np.round(1.0 / (1.0 + np.exp(-logit)), 2)
p[:5] = [0.0, 1.0, 0.0, 1.0, 0.5]  # exercise clipping at both ends

pos = p[y == 1]
neg = p[y == 0]
wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
auc = float(wins / (len(pos) * len(neg)))
eps = 1e-7
q = np.clip(p, eps, 1 - eps)
logloss = float(np.mean(-(y * np.log(q) + (1 - y) * np.log(1 - q))))
calibration = float(p.mean() / y.mean())
r = y.mean()
ne = logloss / float(-(r * np.log(r) + (1 - r) * np.log(1 - r)))

with open("binary-metrics-sample.tsv", "w") as f:
    for a, b in zip(y, p):
        f.write(f"{a}\t{b:.2f}\n")
with open("binary-metrics-expected.properties", "w") as f:
    f.write(f"auc={auc!r}\nlogloss={logloss!r}\ncalibration={calibration!r}\nnormalizedEntropy={ne!r}\n")
print(auc, logloss, calibration, ne)
