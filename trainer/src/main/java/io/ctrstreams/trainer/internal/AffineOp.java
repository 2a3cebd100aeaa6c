package io.ctrstreams.trainer.internal;

import io.ctrstreams.model.internal.MatMul;
import java.util.Arrays;

/**
 * Batch forward/backward of one affine map of a replica: dense {@code y = W x + b} or low-rank
 * {@code y = U act(V x + c) + d} (act = ReLU or identity), with the core's tensor names.
 * Gradients accumulate into the replica's per-parameter gradient arrays.
 */
final class AffineOp {
  final int in;
  final int out;
  final int rank;
  final boolean act;
  private final ParamStore.Param w;
  private final ParamStore.Param b;
  private final ParamStore.Param v;
  private final ParamStore.Param c;
  private final ParamStore.Param u;
  private final float[] t; // V x + c  [cap, rank]
  private final float[] a; // act(t)   [cap, rank]
  private final float[] da; // [cap, rank]

  AffineOp(ParamStore ps, String prefix, String denseBias, String lowRankBias, int in, int out, int rank,
      boolean act, int cap) {
    this.in = in;
    this.out = out;
    this.rank = rank;
    this.act = act;
    if (rank == 0) {
      w = ps.get(prefix + "/w");
      b = ps.get(prefix + "/" + denseBias);
      v = c = u = null;
      t = a = da = null;
    } else {
      w = null;
      v = ps.get(prefix + "/v");
      c = ps.get(prefix + "/c");
      u = ps.get(prefix + "/u");
      b = ps.get(prefix + "/" + lowRankBias);
      t = new float[cap * rank];
      a = act ? new float[cap * rank] : t;
      da = new float[cap * rank];
    }
  }

  /** y[n, out] = f(x[n, in]); y is overwritten. */
  void forward(MatMul g, float[] x, int n, float[] y) {
    if (rank == 0) {
      fillRows(y, n, out, b.w);
      g.mulAddTransB(x, n, in, w.w, out, y);
      return;
    }
    fillRows(t, n, rank, c.w);
    g.mulAddTransB(x, n, in, v.w, rank, t);
    if (act) {
      for (int i = 0; i < n * rank; i++) {
        a[i] = Math.max(t[i], 0f);
      }
    }
    fillRows(y, n, out, b.w);
    g.mulAddTransB(a, n, rank, u.w, out, y);
  }

  /**
   * Given dy = dL/dy, accumulates parameter gradients into {@code grads} (by param index) and, if
   * {@code dx} is non-null, adds dL/dx into it.
   */
  void backward(MatMul g, float[] x, float[] dy, int n, float[] dx, float[][] grads) {
    if (rank == 0) {
      g.mulAddTransA(dy, n, out, x, in, grads[w.index]);
      colSum(dy, n, out, grads[b.index]);
      if (dx != null) {
        g.mulAdd(dy, n, out, w.w, in, dx);
      }
      return;
    }
    g.mulAddTransA(dy, n, out, a, rank, grads[u.index]);
    colSum(dy, n, out, grads[b.index]);
    Arrays.fill(da, 0, n * rank, 0f);
    g.mulAdd(dy, n, out, u.w, rank, da);
    if (act) {
      for (int i = 0; i < n * rank; i++) {
        if (t[i] <= 0f) {
          da[i] = 0f;
        }
      }
    }
    g.mulAddTransA(da, n, rank, x, in, grads[v.index]);
    colSum(da, n, rank, grads[c.index]);
    if (dx != null) {
      g.mulAdd(da, n, rank, v.w, in, dx);
    }
  }

  static void fillRows(float[] y, int n, int width, float[] row) {
    for (int r = 0; r < n; r++) {
      System.arraycopy(row, 0, y, r * width, width);
    }
  }

  static void colSum(float[] m, int n, int width, float[] acc) {
    for (int r = 0; r < n; r++) {
      int o = r * width;
      for (int j = 0; j < width; j++) {
        acc[j] += m[o + j];
      }
    }
  }
}
