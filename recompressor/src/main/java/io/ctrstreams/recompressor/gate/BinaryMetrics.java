package io.ctrstreams.recompressor.gate;

import io.ctrstreams.recompressor.RecompressorException;
import java.util.Arrays;

/** Offline metrics of probability predictions against 0/1 labels, on primitive arrays. */
public final class BinaryMetrics {
  /** Probabilities are clipped to [EPS, 1 - EPS] in logloss, as common CTR toolkits do. */
  public static final double EPS = 1e-7;

  private BinaryMetrics() {}

  /**
   * ROC AUC by the rank-sum (Mann-Whitney) statistic with tied scores sharing their average rank.
   * Returns NaN when only one class is present.
   */
  public static double auc(float[] p, float[] y, int n) {
    check(p, y, n);
    Integer[] idx = new Integer[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, (a, b) -> Float.compare(p[a], p[b]));
    double pos = 0;
    double rankSumPos = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && p[idx[j + 1]] == p[idx[i]]) {
        j++;
      }
      double avgRank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        if (y[idx[k]] > 0.5f) {
          pos++;
          rankSumPos += avgRank;
        }
      }
      i = j + 1;
    }
    double neg = n - pos;
    if (pos == 0 || neg == 0) {
      return Double.NaN;
    }
    return (rankSumPos - pos * (pos + 1) / 2) / (pos * neg);
  }

  /** Mean binary cross-entropy of probabilities {@code p} against targets {@code y} in [0, 1]. */
  public static double logloss(float[] p, float[] y, int n) {
    check(p, y, n);
    double s = 0;
    for (int i = 0; i < n; i++) {
      double q = Math.min(1 - EPS, Math.max(EPS, p[i]));
      s -= y[i] * Math.log(q) + (1 - y[i]) * Math.log(1 - q);
    }
    return s / n;
  }

  /** Mean prediction divided by the observed positive rate (1 = calibrated); NaN without positives. */
  public static double calibration(float[] p, float[] y, int n) {
    check(p, y, n);
    double sp = 0;
    double sy = 0;
    for (int i = 0; i < n; i++) {
      sp += p[i];
      sy += y[i];
    }
    return sy == 0 ? Double.NaN : sp / sy;
  }

  /** Mean |logit(a) - logit(b)| with the same clipping as logloss. */
  public static double meanAbsLogitDiff(float[] a, float[] b, int n) {
    check(a, b, n);
    double s = 0;
    for (int i = 0; i < n; i++) {
      s += Math.abs(logit(a[i]) - logit(b[i]));
    }
    return s / n;
  }

  static double logit(double p) {
    double q = Math.min(1 - EPS, Math.max(EPS, p));
    return Math.log(q / (1 - q));
  }

  private static void check(float[] a, float[] b, int n) {
    if (n < 1 || a.length < n || b.length < n) {
      throw new RecompressorException("metrics need n >= 1 predictions and targets, found n=" + n
          + " with arrays of " + a.length + " and " + b.length);
    }
  }
}
