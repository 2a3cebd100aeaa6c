package io.ctrstreams.model.eval;

import io.ctrstreams.model.CtrModelException;
import java.util.Arrays;

/**
 * Bounded-memory AUC, logloss and calibration over a stream of (pCTR, label) pairs.
 *
 * <p>Scores are bucketed on the logit scale: {@code logit(clip(p))} in [-{@link #LOGIT_RANGE},
 * +LOGIT_RANGE] is split into {@code buckets} equal cells and each cell keeps a positive and a
 * negative count (two {@code long[]}; 160 KB at the default 10,000 buckets). The logit scale is
 * used because CTR scores crowd near 0: equal logit cells give every score a similar relative
 * resolution (cell width 0.0032 in logit at the default, i.e. ~0.3% of p for small p), where
 * equal cells on [0, 1] would lump most of the traffic into a few cells.
 *
 * <p><b>Approximation error.</b> Bucketing is monotone, so a positive-negative pair in different
 * cells is ordered exactly; a pair sharing a cell is counted as a tie (1/2) while its true
 * contribution is 0, 1/2 or 1. Hence {@code |auc() - exactAuc| <= aucErrorBound() = 0.5 *
 * sum_b pos_b * neg_b / (P * N)}, computed from the same histogram. On smooth score distributions
 * it is about half the probability that a random positive and negative share a cell (~1e-4 at the
 * default resolution for scores spread over a few logit units). Logloss and calibration are exact
 * (double sums of every event), not bucketed.
 *
 * <p>Not thread-safe: one instance per stream task; {@link #merge} combines them.
 */
public final class StreamingAuc {
  /** Default number of logit buckets. */
  public static final int DEFAULT_BUCKETS = 10_000;

  /** Half-width of the bucketed logit range; logit(EPS) is about -16.1, so clipping lands in the end cells. */
  public static final double LOGIT_RANGE = 16.0;

  private final long[] pos;
  private final long[] neg;
  private long count;
  private long positives;
  private double sumP;
  private double sumLoss;

  /** An empty accumulator with {@link #DEFAULT_BUCKETS} buckets. */
  public StreamingAuc() {
    this(DEFAULT_BUCKETS);
  }

  /**
   * An empty accumulator with the given resolution.
   *
   * @throws CtrModelException if {@code buckets} is not in [2, 10_000_000]
   */
  public StreamingAuc(int buckets) {
    if (buckets < 2 || buckets > 10_000_000) {
      throw new CtrModelException("streaming AUC buckets must be in [2, 10000000], found " + buckets);
    }
    pos = new long[buckets];
    neg = new long[buckets];
  }

  /** Number of histogram buckets. */
  public int buckets() {
    return pos.length;
  }

  /** The bucket a score falls in for a histogram of {@code buckets} cells. */
  static int bucketOf(double p, int buckets) {
    double q = BinaryMetrics.clip(p);
    double logit = Math.log(q / (1 - q));
    int b = (int) ((logit + LOGIT_RANGE) * (buckets / (2 * LOGIT_RANGE)));
    return b < 0 ? 0 : (b >= buckets ? buckets - 1 : b);
  }

  /**
   * Adds one prediction. Allocation-free.
   *
   * @throws CtrModelException if {@code p} is NaN
   */
  public void add(double p, boolean label) {
    if (Double.isNaN(p)) {
      throw new CtrModelException("streaming AUC score must be a number, found NaN");
    }
    int b = bucketOf(p, pos.length);
    if (label) {
      pos[b]++;
      positives++;
    } else {
      neg[b]++;
    }
    count++;
    sumP += p;
    sumLoss += BinaryMetrics.pointLoss(p, label);
  }

  /**
   * Adds every count of {@code other} to this accumulator.
   *
   * @throws CtrModelException if the bucket counts differ
   */
  public void merge(StreamingAuc other) {
    if (other.pos.length != pos.length) {
      throw new CtrModelException("cannot merge a streaming AUC of " + other.pos.length
          + " buckets into one of " + pos.length);
    }
    for (int i = 0; i < pos.length; i++) {
      pos[i] += other.pos[i];
      neg[i] += other.neg[i];
    }
    count += other.count;
    positives += other.positives;
    sumP += other.sumP;
    sumLoss += other.sumLoss;
  }

  /** Forgets everything added. */
  public void reset() {
    Arrays.fill(pos, 0);
    Arrays.fill(neg, 0);
    count = 0;
    positives = 0;
    sumP = 0;
    sumLoss = 0;
  }

  /** Bucketed AUC (ties within a bucket count 1/2); NaN until both classes were seen. */
  public double auc() {
    return aucOf(pos, neg, positives, count - positives);
  }

  /** Upper bound of {@code |auc() - exact AUC|}; NaN until both classes were seen. */
  public double aucErrorBound() {
    long n = count - positives;
    if (positives == 0 || n == 0) {
      return Double.NaN;
    }
    double same = 0;
    for (int i = 0; i < pos.length; i++) {
      same += (double) pos[i] * neg[i];
    }
    return 0.5 * same / ((double) positives * n);
  }

  static double aucOf(long[] pos, long[] neg, long p, long n) {
    if (p == 0 || n == 0) {
      return Double.NaN;
    }
    double wins = 0;
    double negBelow = 0;
    for (int i = 0; i < pos.length; i++) {
      if (pos[i] != 0) {
        wins += pos[i] * (negBelow + 0.5 * neg[i]);
      }
      negBelow += neg[i];
    }
    return wins / ((double) p * n);
  }

  /** Exact mean clipped logloss; NaN when empty. */
  public double logloss() {
    return count == 0 ? Double.NaN : sumLoss / count;
  }

  /** Exact mean pCTR / observed CTR; NaN without positives. */
  public double calibration() {
    return positives == 0 ? Double.NaN : sumP / positives;
  }

  /** Exact normalized entropy (logloss / entropy of the base rate); NaN when one class only. */
  public double normalizedEntropy() {
    return BinaryMetrics.normalize(logloss(), positives, count);
  }

  /** Events added. */
  public long count() {
    return count;
  }

  /** Positive events added. */
  public long positives() {
    return positives;
  }

  // Package-private accessors for WindowedMetrics, which sums slots without copying.
  long[] posCounts() {
    return pos;
  }

  long[] negCounts() {
    return neg;
  }

  double sumP() {
    return sumP;
  }

  double sumLoss() {
    return sumLoss;
  }
}
