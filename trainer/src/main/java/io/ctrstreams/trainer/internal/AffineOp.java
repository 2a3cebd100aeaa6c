package io.ctrstreams.trainer.internal;

import io.ctrstreams.model.AffineLayer;
import io.ctrstreams.model.LowRankLinear;
import io.ctrstreams.model.internal.MatMul;
import java.util.Arrays;

/**
 * The backward rule of an affine layer of a replica, dense {@code y = W x + b} or low-rank {@code
 * y = U act(V x + c) + d} (act = ReLU or identity); the forward pass is the layer's own batch
 * forward ({@link AffineLayer#forward(MatMul, float[], int, float[], float[])}, run by the plan),
 * which leaves {@code act(V x + c)} in the buffer given here. Gradients accumulate into the
 * replica's per-parameter gradient arrays.
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
  private final float[] a; // act(V x + c) [cap, rank], written by the forward pass
  private final float[] da; // [cap, rank]

  AffineOp(ParamStore ps, AffineLayer layer, String prefix, String denseBias, String lowRankBias, float[] mid,
      int cap) {
    this.in = layer.inputSize();
    this.out = layer.outputSize();
    if (layer instanceof LowRankLinear lr) {
      rank = lr.rank();
      act = lr.hasActivation();
      w = null;
      v = ps.get(prefix + "/v");
      c = ps.get(prefix + "/c");
      u = ps.get(prefix + "/u");
      b = ps.get(prefix + "/" + lowRankBias);
    } else {
      rank = 0;
      act = false;
      w = ps.get(prefix + "/w");
      b = ps.get(prefix + "/" + denseBias);
      v = c = u = null;
    }
    a = mid;
    da = new float[cap * rank];
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
        if (a[i] <= 0f) { // a = max(t, 0) is <= 0 exactly where t is
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

  static void colSum(float[] m, int n, int width, float[] acc) {
    for (int r = 0; r < n; r++) {
      int o = r * width;
      for (int j = 0; j < width; j++) {
        acc[j] += m[o + j];
      }
    }
  }
}
