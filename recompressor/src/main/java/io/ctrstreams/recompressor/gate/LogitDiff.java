package io.ctrstreams.recompressor.gate;

import io.ctrstreams.recompressor.RecompressorException;

/**
 * The one gate metric the shared {@link io.ctrstreams.model.eval.BinaryMetrics} does not have:
 * mean |logit difference| between two models on the same rows (what the topology reports as
 * online fidelity). AUC, logloss and calibration come from the shared class.
 */
public final class LogitDiff {
  private LogitDiff() {}

  /** Mean |logit(a) - logit(b)|, probabilities clipped like the shared logloss. */
  public static double meanAbs(float[] a, float[] b, int n) {
    if (n < 1 || a.length < n || b.length < n) {
      throw new RecompressorException("logit difference needs n >= 1 and arrays of at least n, found n=" + n
          + " with arrays of " + a.length + " and " + b.length);
    }
    double s = 0;
    for (int i = 0; i < n; i++) {
      s += Math.abs(logit(a[i]) - logit(b[i]));
    }
    return s / n;
  }

  static double logit(double p) {
    double eps = io.ctrstreams.model.eval.BinaryMetrics.EPS;
    double q = Math.min(1 - eps, Math.max(eps, p));
    return Math.log(q / (1 - q));
  }
}
