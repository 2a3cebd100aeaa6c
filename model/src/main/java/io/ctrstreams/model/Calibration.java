package io.ctrstreams.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * A map from a model's logit to a calibrated pCTR, fitted on held-out rows after training and
 * stored with the model ({@code .ctrm} format version 2). Scorers apply it to pCTR only: {@link
 * Scorer#scoreLogit} stays the raw logit of the network (what distillation, the quality gate's
 * AUC and the deltas work on); {@link Scorer#score} is {@code calibration.apply(logit)}.
 *
 * <ul>
 *   <li>{@link Kind#NONE}: {@code sigmoid(z)} (every model before format version 2).
 *   <li>{@link Kind#PLATT}: {@code sigmoid(a z + b)} (Platt 1999), fitted by Newton's method on
 *       the log loss.
 *   <li>{@link Kind#ISOTONIC}: the pool-adjacent-violators fit (Zadrozny and Elkan 2002) as knots
 *       {@code (x_i, y_i)} of increasing logits and non-decreasing probabilities, linearly
 *       interpolated in between and constant beyond the ends.
 * </ul>
 *
 * <p>Immutable; {@link #apply(float)} allocates nothing.
 */
public final class Calibration {
  /** The family of the map; the codes are the format's. */
  public enum Kind {
    NONE(0),
    PLATT(1),
    ISOTONIC(2);

    private final int code;

    Kind(int code) {
      this.code = code;
    }

    public int code() {
      return code;
    }

    /** The kind with format code {@code c}, or null. */
    public static Kind fromCode(int c) {
      for (Kind k : values()) {
        if (k.code == c) {
          return k;
        }
      }
      return null;
    }
  }

  /** Most knots an isotonic map may have. */
  public static final int MAX_KNOTS = 1 << 16;

  private static final Calibration NONE = new Calibration(Kind.NONE, 1, 0, new double[0], new double[0]);

  private final Kind kind;
  private final double a;
  private final double b;
  private final double[] x;
  private final double[] y;

  private Calibration(Kind kind, double a, double b, double[] x, double[] y) {
    this.kind = kind;
    this.a = a;
    this.b = b;
    this.x = x;
    this.y = y;
  }

  /** The identity map: pCTR = sigmoid(logit). */
  public static Calibration none() {
    return NONE;
  }

  /** {@code sigmoid(a z + b)}; a and b must be finite, a &gt; 0 (a map must keep the order). */
  public static Calibration platt(double a, double b) {
    if (!Double.isFinite(a) || !(a > 0) || !Double.isFinite(b)) {
      throw new CtrModelException("Platt calibration needs finite a > 0 and finite b, found a=" + a + " b=" + b);
    }
    return new Calibration(Kind.PLATT, a, b, new double[0], new double[0]);
  }

  /** Knots of increasing finite logits {@code x} and non-decreasing probabilities {@code y} in [0, 1]. */
  public static Calibration isotonic(double[] x, double[] y) {
    if (x.length == 0 || x.length != y.length || x.length > MAX_KNOTS) {
      throw new CtrModelException("isotonic calibration needs 1 to " + MAX_KNOTS + " knots with one probability each,"
          + " found " + x.length + " logits and " + y.length + " probabilities");
    }
    for (int i = 0; i < x.length; i++) {
      if (!Double.isFinite(x[i]) || (i > 0 && !(x[i] > x[i - 1]))) {
        throw new CtrModelException("isotonic knot logits must be finite and increasing, found " + x[i] + " at " + i);
      }
      if (!(y[i] >= 0 && y[i] <= 1) || (i > 0 && y[i] < y[i - 1])) {
        throw new CtrModelException("isotonic knot probabilities must be in [0, 1] and non-decreasing, found " + y[i]
            + " at " + i);
      }
    }
    return new Calibration(Kind.ISOTONIC, 1, 0, x.clone(), y.clone());
  }

  public Kind kind() {
    return kind;
  }

  /** Platt slope (1 unless PLATT). */
  public double a() {
    return a;
  }

  /** Platt intercept (0 unless PLATT). */
  public double b() {
    return b;
  }

  /** Isotonic knot logits (empty unless ISOTONIC). */
  public double[] knotLogits() {
    return x.clone();
  }

  /** Isotonic knot probabilities (empty unless ISOTONIC). */
  public double[] knotProbabilities() {
    return y.clone();
  }

  /** Calibrated pCTR of {@code logit}. */
  public float apply(float logit) {
    return (float) apply((double) logit);
  }

  /** Calibrated pCTR of {@code logit}. */
  public double apply(double z) {
    switch (kind) {
      case PLATT:
        return sigmoid(a * z + b);
      case ISOTONIC:
        if (z <= x[0]) {
          return y[0];
        }
        int n = x.length;
        if (z >= x[n - 1]) {
          return y[n - 1];
        }
        int i = Arrays.binarySearch(x, z);
        if (i >= 0) {
          return y[i];
        }
        int hi = -i - 1;
        int lo = hi - 1;
        double t = (z - x[lo]) / (x[hi] - x[lo]);
        return y[lo] + t * (y[hi] - y[lo]);
      default:
        return sigmoid(z);
    }
  }

  static double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  }

  /**
   * The Platt map minimizing the log loss of {@code sigmoid(a z + b)} on {@code (logits, labels)}
   * (Newton's method with a step-halving line search; a tiny ridge keeps it defined on separable
   * data). If the best slope is not positive, the slope stays 1 and only the intercept is fitted.
   * Falls back to {@link #none()} when there are no rows or only one class.
   */
  public static Calibration fitPlatt(double[] logits, boolean[] labels) {
    int n = checkFitInput(logits, labels);
    int pos = 0;
    for (int i = 0; i < n; i++) {
      pos += labels[i] ? 1 : 0;
    }
    if (n == 0 || pos == 0 || pos == n) {
      return none();
    }
    double ridge = 1e-6 * n;
    double ca = 1;
    double cb = 0;
    double loss = plattLoss(logits, labels, ca, cb, ridge);
    for (int it = 0; it < 100; it++) {
      double ga = ridge * (ca - 1);
      double gb = 0;
      double haa = ridge;
      double hab = 0;
      double hbb = 1e-12;
      for (int i = 0; i < n; i++) {
        double z = logits[i];
        double p = sigmoid(ca * z + cb);
        double r = p - (labels[i] ? 1 : 0);
        double w = p * (1 - p);
        ga += r * z;
        gb += r;
        haa += w * z * z;
        hab += w * z;
        hbb += w;
      }
      double det = haa * hbb - hab * hab;
      if (!(det > 0)) {
        break;
      }
      double da = (hbb * ga - hab * gb) / det;
      double db = (haa * gb - hab * ga) / det;
      double step = 1;
      double next = Double.NaN;
      for (int ls = 0; ls < 30; ls++) {
        next = plattLoss(logits, labels, ca - step * da, cb - step * db, ridge);
        if (next <= loss) {
          break;
        }
        step /= 2;
      }
      if (!(next <= loss)) {
        break;
      }
      ca -= step * da;
      cb -= step * db;
      boolean done = loss - next < 1e-12 * Math.max(1, loss);
      loss = next;
      if (done) {
        break;
      }
    }
    if (ca > 0 && Double.isFinite(cb)) {
      return platt(ca, cb);
    }
    // the best slope is not positive (logits that do not rank the rows): keep the order, a = 1,
    // and fit the intercept alone, which still matches mean pCTR to the observed rate
    cb = 0;
    for (int it = 0; it < 100; it++) {
      double g = 0;
      double h = 1e-12;
      for (int i = 0; i < n; i++) {
        double p = sigmoid(logits[i] + cb);
        g += p - (labels[i] ? 1 : 0);
        h += p * (1 - p);
      }
      double d = Math.max(-5, Math.min(5, g / h));
      cb -= d;
      if (Math.abs(d) < 1e-12) {
        break;
      }
    }
    return Double.isFinite(cb) ? platt(1, cb) : none();
  }

  private static double plattLoss(double[] z, boolean[] y, double a, double b, double ridge) {
    double s = 0.5 * ridge * (a - 1) * (a - 1);
    for (int i = 0; i < z.length; i++) {
      double t = a * z[i] + b;
      double sp = t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
      s += sp - (y[i] ? t : 0);
    }
    return s;
  }

  /**
   * The isotonic (pool-adjacent-violators) map on {@code (logits, labels)}: rows sorted by logit,
   * adjacent blocks whose mean label decreases are pooled; each block becomes one knot at its mean
   * logit with its mean label. Falls back to {@link #none()} when there are no rows.
   */
  public static Calibration fitIsotonic(double[] logits, boolean[] labels) {
    int n = checkFitInput(logits, labels);
    if (n == 0) {
      return none();
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (p, q) -> Double.compare(logits[p], logits[q]));
    double[] sumY = new double[n];
    double[] lo = new double[n];
    double[] hi = new double[n];
    int[] cnt = new int[n];
    int blocks = 0;
    for (int k = 0; k < n; ) {
      // rows with equal logits form one initial block (a map cannot separate them)
      int j = k;
      double sy = 0;
      while (j < n && logits[order[j]] == logits[order[k]]) {
        sy += labels[order[j]] ? 1 : 0;
        j++;
      }
      lo[blocks] = logits[order[k]];
      hi[blocks] = logits[order[k]];
      sumY[blocks] = sy;
      cnt[blocks] = j - k;
      blocks++;
      while (blocks > 1 && sumY[blocks - 2] / cnt[blocks - 2] >= sumY[blocks - 1] / cnt[blocks - 1]) {
        sumY[blocks - 2] += sumY[blocks - 1];
        cnt[blocks - 2] += cnt[blocks - 1];
        hi[blocks - 2] = hi[blocks - 1];
        blocks--;
      }
      k = j;
    }
    // each block is flat from its lowest to its highest logit (one knot if they are equal), so
    // every fitted row maps to its block's mean label; more knots than allowed (rare): keep every
    // stride-th block
    int stride = (2 * blocks + MAX_KNOTS - 1) / MAX_KNOTS;
    double[] x = new double[2 * blocks];
    double[] y = new double[2 * blocks];
    int kept = 0;
    for (int i = 0; i < blocks; i += stride) {
      double v = sumY[i] / cnt[i];
      x[kept] = lo[i];
      y[kept++] = v;
      if (hi[i] > lo[i]) {
        x[kept] = hi[i];
        y[kept++] = v;
      }
    }
    return isotonic(Arrays.copyOf(x, kept), Arrays.copyOf(y, kept));
  }

  private static int checkFitInput(double[] logits, boolean[] labels) {
    if (logits.length != labels.length) {
      throw new CtrModelException("calibration fit needs one label per logit, found " + logits.length + " logits and "
          + labels.length + " labels");
    }
    for (int i = 0; i < logits.length; i++) {
      if (!Double.isFinite(logits[i])) {
        throw new CtrModelException("calibration fit needs finite logits, found " + logits[i] + " at row " + i);
      }
    }
    return logits.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Calibration c && kind == c.kind && Double.compare(a, c.a) == 0 && Double.compare(b, c.b) == 0
        && Arrays.equals(x, c.x) && Arrays.equals(y, c.y);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + Double.hashCode(a) * 17 + Double.hashCode(b) + Arrays.hashCode(x) * 7
        + Arrays.hashCode(y);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case NONE -> "none";
      case PLATT -> String.format(Locale.ROOT, "platt(a=%.6g, b=%.6g)", a, b);
      case ISOTONIC -> "isotonic(" + x.length + " knots)";
    };
  }
}
