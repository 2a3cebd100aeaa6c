package io.ctrstreams.model.eval;

import io.ctrstreams.model.CtrModelException;
import java.util.Arrays;

/**
 * Exact offline metrics of predicted click probabilities against binary labels, on primitive
 * arrays.
 *
 * <ul>
 *   <li>AUC: the Mann-Whitney statistic, P(score of a random positive &gt; score of a random
 *       negative) with ties counted as 1/2 (equivalently, tied scores share their average rank).
 *       O(n log n): positives' and negatives' scores are sorted separately and swept once, which
 *       needs no boxed index sort.
 *   <li>Logloss: mean binary cross-entropy with probabilities clipped to [{@link #EPS}, 1 - EPS],
 *       so a confident miss costs ~16 nats instead of infinity.
 *   <li>Calibration: mean pCTR / observed CTR (1 = calibrated, &gt; 1 = over-predicting).
 *   <li>Normalized entropy (He et al., "Practical Lessons from Predicting Clicks on Ads at
 *       Facebook", ADKDD 2014, eq. 1): logloss divided by the entropy of the base rate, so 1 means
 *       "no better than predicting the average CTR".
 * </ul>
 *
 * <p>Undefined values (AUC with one class only, calibration without positives) are NaN rather
 * than exceptions: a stream window or a tiny validation split may legitimately hit them.
 */
public final class BinaryMetrics {
  /** Probability clipping used by every logloss in this package. */
  public static final double EPS = 1e-7;

  private BinaryMetrics() {}

  /** Exact AUC with ties averaged; NaN when only one class is present. */
  public static double auc(double[] p, boolean[] labels) {
    checkLengths(p.length, labels.length);
    int pos = 0;
    for (boolean y : labels) {
      pos += y ? 1 : 0;
    }
    double[] ps = new double[pos];
    double[] ns = new double[p.length - pos];
    int a = 0;
    int b = 0;
    for (int i = 0; i < p.length; i++) {
      checkScore(p[i], i);
      if (labels[i]) {
        ps[a++] = p[i];
      } else {
        ns[b++] = p[i];
      }
    }
    return aucOfSorted(ps, ns);
  }

  /** Exact AUC of float scores against targets read as positive when &gt; 0.5; first n entries. */
  public static double auc(float[] p, float[] y, int n) {
    checkN(p.length, y.length, n);
    int pos = 0;
    for (int i = 0; i < n; i++) {
      pos += y[i] > 0.5f ? 1 : 0;
    }
    double[] ps = new double[pos];
    double[] ns = new double[n - pos];
    int a = 0;
    int b = 0;
    for (int i = 0; i < n; i++) {
      checkScore(p[i], i);
      if (y[i] > 0.5f) {
        ps[a++] = p[i];
      } else {
        ns[b++] = p[i];
      }
    }
    return aucOfSorted(ps, ns);
  }

  private static double aucOfSorted(double[] ps, double[] ns) {
    if (ps.length == 0 || ns.length == 0) {
      return Double.NaN;
    }
    Arrays.sort(ps);
    Arrays.sort(ns);
    // For each positive score s (ascending): wins = #neg < s, ties = #neg == s. Both pointers only
    // move forward because ps is sorted.
    double wins = 0;
    int lo = 0; // first negative >= s
    int hi = 0; // first negative > s
    for (double s : ps) {
      while (lo < ns.length && ns[lo] < s) {
        lo++;
      }
      if (hi < lo) {
        hi = lo;
      }
      while (hi < ns.length && ns[hi] == s) {
        hi++;
      }
      wins += lo + 0.5 * (hi - lo);
    }
    return wins / ((double) ps.length * ns.length);
  }

  /** Mean clipped binary cross-entropy against 0/1 labels. */
  public static double logloss(double[] p, boolean[] labels) {
    checkLengths(p.length, labels.length);
    double s = 0;
    for (int i = 0; i < p.length; i++) {
      checkScore(p[i], i);
      s += pointLoss(p[i], labels[i]);
    }
    return s / p.length;
  }

  /** Mean clipped binary cross-entropy against targets in [0, 1] (soft labels allowed); first n. */
  public static double logloss(float[] p, float[] y, int n) {
    checkN(p.length, y.length, n);
    double s = 0;
    for (int i = 0; i < n; i++) {
      checkScore(p[i], i);
      double q = clip(p[i]);
      s -= y[i] * Math.log(q) + (1 - y[i]) * Math.log(1 - q);
    }
    return s / n;
  }

  /** Mean pCTR divided by the observed CTR; NaN without positives. */
  public static double calibration(double[] p, boolean[] labels) {
    checkLengths(p.length, labels.length);
    double sp = 0;
    long pos = 0;
    for (int i = 0; i < p.length; i++) {
      sp += p[i];
      pos += labels[i] ? 1 : 0;
    }
    return pos == 0 ? Double.NaN : sp / pos;
  }

  /**
   * Expected calibration error (Naeini et al. 2015; Guo et al. 2017): rows grouped into {@code
   * bins} equal-width pCTR bins on [0, 1], {@code sum_b (n_b / n) |mean p_b - observed rate_b|}.
   * NaN without rows.
   */
  public static double expectedCalibrationError(double[] p, boolean[] labels, int bins) {
    checkLengths(p.length, labels.length);
    if (bins < 1) {
      throw new IllegalArgumentException("bins must be >= 1, found " + bins);
    }
    if (p.length == 0) {
      return Double.NaN;
    }
    double[] sp = new double[bins];
    double[] sy = new double[bins];
    long[] cnt = new long[bins];
    for (int i = 0; i < p.length; i++) {
      int b = Math.min(bins - 1, Math.max(0, (int) (p[i] * bins)));
      sp[b] += p[i];
      sy[b] += labels[i] ? 1 : 0;
      cnt[b]++;
    }
    double e = 0;
    for (int b = 0; b < bins; b++) {
      e += Math.abs(sp[b] - sy[b]);
    }
    return e / p.length;
  }

  /** Mean prediction divided by mean target; NaN when the targets sum to 0; first n entries. */
  public static double calibration(float[] p, float[] y, int n) {
    checkN(p.length, y.length, n);
    double sp = 0;
    double sy = 0;
    for (int i = 0; i < n; i++) {
      sp += p[i];
      sy += y[i];
    }
    return sy == 0 ? Double.NaN : sp / sy;
  }

  /** Logloss / entropy of the observed base rate; NaN when all labels are equal. */
  public static double normalizedEntropy(double[] p, boolean[] labels) {
    long pos = 0;
    for (boolean y : labels) {
      pos += y ? 1 : 0;
    }
    return normalize(logloss(p, labels), pos, labels.length);
  }

  /** Normalized entropy of float scores against targets &gt; 0.5; first n entries. */
  public static double normalizedEntropy(float[] p, float[] y, int n) {
    double ll = logloss(p, y, n);
    double sy = 0;
    for (int i = 0; i < n; i++) {
      sy += y[i];
    }
    return normalizeRate(ll, sy / n);
  }

  /** The clipped loss of one prediction, shared with the streaming metrics. */
  static double pointLoss(double p, boolean label) {
    double q = clip(p);
    return label ? -Math.log(q) : -Math.log(1 - q);
  }

  static double clip(double p) {
    return Math.min(1 - EPS, Math.max(EPS, p));
  }

  static double normalize(double logloss, long positives, long count) {
    return count == 0 ? Double.NaN : normalizeRate(logloss, (double) positives / count);
  }

  private static double normalizeRate(double logloss, double rate) {
    if (!(rate > 0 && rate < 1)) {
      return Double.NaN;
    }
    double h = -(rate * Math.log(rate) + (1 - rate) * Math.log(1 - rate));
    return logloss / h;
  }

  private static void checkLengths(int np, int nl) {
    if (np != nl) {
      throw new CtrModelException("metrics need as many scores as labels, found " + np + " scores and " + nl + " labels");
    }
    if (np == 0) {
      throw new CtrModelException("metrics need at least one prediction, found 0");
    }
  }

  private static void checkN(int np, int ny, int n) {
    if (n < 1 || np < n || ny < n) {
      throw new CtrModelException("metrics need n >= 1 predictions and targets, found n=" + n
          + " with arrays of " + np + " scores and " + ny + " targets");
    }
  }

  private static void checkScore(double p, int i) {
    if (Double.isNaN(p)) {
      throw new CtrModelException("score at index " + i + " is NaN");
    }
  }
}
