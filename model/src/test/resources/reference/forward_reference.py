#!/usr/bin/env python3
"""Reference forward passes of tiny fixed CTR models, one per architecture / low-rank layout.

Writes forward_cases.json next to this script: for every case the ModelSpec JSON, the tensors
(named as in CtrModel's Javadoc), encoded inputs (context + candidates: row index and value per
field) and the expected logits computed here in float64 with numpy. ReferenceScorerTest checks
the Java reference scorer against them. Also writes LOG_BUCKET expectations.

Run: python3 forward_reference.py   (numpy 2.x; seeded, so the output is reproducible)
"""
import json
import math
import os

import numpy as np

rng = np.random.default_rng(20261126)


def cat(name, role, rows, dim):
    return {"name": name, "type": "CATEGORICAL", "role": role, "vocabularySize": 0,
            "oovBuckets": rows, "embeddingDim": dim}


def logb(name, role, buckets, dim):
    return {"name": name, "type": "NUMERIC", "role": role, "vocabularySize": buckets,
            "oovBuckets": 0, "embeddingDim": dim, "transform": "LOG_BUCKET"}


def scaled(name, role, dim):
    return {"name": name, "type": "NUMERIC", "role": role, "vocabularySize": 0,
            "oovBuckets": 0, "embeddingDim": dim, "transform": "SCALED"}


def rows(f):
    if f["type"] == "CATEGORICAL":
        return f["vocabularySize"] + f["oovBuckets"]
    return 1 if f["transform"] == "SCALED" else f["vocabularySize"]


def lookup(f):
    return f.get("transform") != "SCALED"


def lr(spec):
    return spec.get("lowRank") or {}


def emb_rank(spec, f):
    if not lookup(f):
        return 0
    l = lr(spec)
    return l.get("fieldEmbeddingRanks", {}).get(f["name"], l.get("embeddingRank", 0))


def folded(spec):
    return bool(lr(spec).get("foldEmbeddings", False))


def rank_at(arr, i):
    return arr[i] if i < len(arr) else 0


def make_tensors(spec):
    t = {}

    def put(name, shape, std=0.3):
        t[name] = rng.normal(0.0, std, size=shape)

    for f in spec["fields"]:
        k = emb_rank(spec, f)
        p = "emb/" + f["name"]
        if k == 0:
            put(p, (rows(f), f["embeddingDim"]))
        else:
            put(p + "/table", (rows(f), k))
            if not folded(spec):
                put(p + "/proj", (k, f["embeddingDim"]))
                put(p + "/bias", (f["embeddingDim"],), 0.1)
    if spec["architecture"] == "DEEPFM":
        for f in spec["fields"]:
            put("fm/first/" + f["name"], (rows(f), 1), 0.1)
        put("fm/bias", (1,), 0.1)
    D = sum(f["embeddingDim"] for f in spec["fields"])
    in0 = sum((emb_rank(spec, f) if folded(spec) and emb_rank(spec, f) > 0 else f["embeddingDim"])
              for f in spec["fields"])
    mr = lr(spec).get("mlpRanks", [])
    cur = in0
    for i, out in enumerate(spec["mlp"]):
        r = rank_at(mr, i)
        p = "mlp/%d" % i
        if r == 0:
            put(p + "/w", (out, cur), 1 / math.sqrt(cur))
            put(p + "/b", (out,), 0.1)
        else:
            put(p + "/v", (r, cur), 1 / math.sqrt(cur))
            put(p + "/c", (r,), 0.1)
            put(p + "/u", (out, r), 1 / math.sqrt(r))
            put(p + "/d", (out,), 0.1)
        cur = out
    cr = lr(spec).get("crossRanks", [])
    for i in range(spec.get("crossLayers", 0)):
        r = rank_at(cr, i)
        p = "cross/%d" % i
        if r == 0:
            put(p + "/w", (D, D), 1 / math.sqrt(D))
        else:
            put(p + "/v", (r, D), 1 / math.sqrt(D))
            put(p + "/c", (r,), 0.1)
            put(p + "/u", (D, r), 1 / math.sqrt(r))
        put(p + "/b", (D,), 0.1)
    parallel = spec["architecture"] == "DCNV2" and spec.get("crossStructure") == "PARALLEL"
    last = spec["mlp"][-1] if spec["mlp"] else in0
    n_out = (D + (spec["mlp"][-1] if spec["mlp"] else D)) if parallel else last
    put("out/w", (1, n_out), 1 / math.sqrt(n_out))
    put("out/b", (1,), 0.1)
    # Round to float32 so numpy and Java start from the same weights.
    return {k: v.astype(np.float32).astype(np.float64) for k, v in t.items()}


def affine(t, p, x, rank, act, bias_name):
    if rank == 0:
        return t[p + "/w"] @ x + t[p + "/b"]
    h = t[p + "/v"] @ x + t[p + "/c"]
    if act:
        h = np.maximum(h, 0)
    return t[p + "/u"] @ h + t[p + "/" + bias_name]


def forward(spec, t, ctx, cand):
    act = bool(lr(spec).get("factorActivation", False))
    parts, logit = [], 0.0
    full = []
    for i, f in enumerate(spec["fields"]):
        v = ctx if f["role"] == "CONTEXT" else cand
        row = v[0][i] if lookup(f) else 0
        scale = 1.0 if lookup(f) else v[1][i]
        k = emb_rank(spec, f)
        p = "emb/" + f["name"]
        if k == 0:
            e = scale * t[p][row]
            parts.append(e)
        elif folded(spec):
            parts.append(t[p + "/table"][row])
            e = None
        else:
            e = t[p + "/table"][row] @ t[p + "/proj"] + t[p + "/bias"]
            parts.append(e)
        full.append(e)
        if spec["architecture"] == "DEEPFM":
            logit += t["fm/first/" + f["name"]][row, 0] * scale
    x0 = np.concatenate(parts)
    if spec["architecture"] == "DEEPFM":
        E = np.stack(full)
        logit += t["fm/bias"][0] + 0.5 * np.sum(E.sum(0) ** 2 - (E ** 2).sum(0))
    h = x0
    xl = x0
    if spec["architecture"] == "DCNV2":
        cr = lr(spec).get("crossRanks", [])
        for i in range(spec.get("crossLayers", 0)):
            xl = x0 * affine(t, "cross/%d" % i, xl, rank_at(cr, i), act, "b") + xl
        if spec.get("crossStructure", "STACKED") == "STACKED":
            h = xl
    mr = lr(spec).get("mlpRanks", [])
    for i in range(len(spec["mlp"])):
        h = np.maximum(affine(t, "mlp/%d" % i, h, rank_at(mr, i), act, "d"), 0)
    if spec["architecture"] == "DCNV2" and spec.get("crossStructure") == "PARALLEL":
        h = np.concatenate([xl, h])
    return logit + (t["out/w"] @ h)[0] + t["out/b"][0]


def inputs(spec, n):
    def one():
        idx, val = [], []
        for f in spec["fields"]:
            if lookup(f):
                idx.append(int(rng.integers(0, rows(f))))
                val.append(1.0)
            else:
                idx.append(0)
                val.append(float(np.float32(rng.normal(0, 1.5))))
        return [idx, val]
    return one(), [one() for _ in range(n)]


FIELDS = [cat("c1", "CONTEXT", 5, 4), cat("c2", "CANDIDATE", 7, 3), logb("n1", "CONTEXT", 6, 2),
          scaled("n2", "CANDIDATE", 3), cat("c3", "CANDIDATE", 4, 5)]
FM_FIELDS = [cat("c1", "CONTEXT", 5, 4), cat("c2", "CANDIDATE", 7, 4), logb("n1", "CONTEXT", 6, 4),
             scaled("n2", "CANDIDATE", 4)]

CASES = {
    "dnn_dense": {"architecture": "DNN", "fields": FIELDS, "mlp": [5, 4]},
    "dnn_no_mlp": {"architecture": "DNN", "fields": FIELDS, "mlp": []},
    "dnn_lowrank_folded": {"architecture": "DNN", "fields": FIELDS, "mlp": [5, 4],
                           "lowRank": {"embeddingRank": 2, "foldEmbeddings": True, "mlpRanks": [3, 0],
                                       "factorActivation": True, "fieldEmbeddingRanks": {"c3": 3}}},
    "dnn_lowrank_unfolded": {"architecture": "DNN", "fields": FIELDS, "mlp": [5, 4],
                             "lowRank": {"embeddingRank": 2, "mlpRanks": [0, 2]}},
    "deepfm_lowrank": {"architecture": "DEEPFM", "fields": FM_FIELDS, "mlp": [6],
                       "lowRank": {"embeddingRank": 2, "mlpRanks": [3]}},
    "deepfm_dense": {"architecture": "DEEPFM", "fields": FM_FIELDS, "mlp": [3, 2]},
    "dcnv2_stacked_lowrank": {"architecture": "DCNV2", "fields": FIELDS, "mlp": [5], "crossLayers": 2,
                              "crossStructure": "STACKED",
                              "lowRank": {"crossRanks": [3, 0], "mlpRanks": [2]}},
    "dcnv2_parallel_dense": {"architecture": "DCNV2", "fields": FIELDS, "mlp": [4, 3], "crossLayers": 1,
                             "crossStructure": "PARALLEL"},
}


def main():
    out = {"cases": []}
    for name, body in CASES.items():
        spec = {"name": name, "crossLayers": 0, "crossStructure": "STACKED"}
        spec.update(body)
        t = make_tensors(spec)
        ctx, cands = inputs(spec, 4)
        logits = [float(forward(spec, t, ctx, c)) for c in cands]
        out["cases"].append({
            "spec": spec,
            "tensors": {k: {"shape": list(v.shape), "data": [float(x) for x in v.ravel()]}
                        for k, v in t.items()},
            "context": ctx,
            "candidates": cands,
            "logits": logits,
        })
    xs = [-5.0, -0.5, 0.0, 0.7, 1.0, 1.9, 2.0, 2.5, 3.0, 10.0, 99.5, 1e4, 1e9]
    out["logBucket"] = [{"x": x, "buckets": 200,
                         "bucket": min(int(math.floor(math.log(x) ** 2)) if x > 2 else max(int(x), 0), 199)}
                        for x in xs]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "forward_cases.json"), "w") as fh:
        json.dump(out, fh, indent=None, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main()
