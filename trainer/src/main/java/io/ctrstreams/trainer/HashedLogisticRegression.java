package io.ctrstreams.trainer;

import io.ctrstreams.model.FeatureHash;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RawSchema;

/**
 * The baseline every CTR model must beat: logistic regression over hashed one-hot features
 * ({@code field=value}, numeric fields as their log bucket), trained with per-coordinate
 * Adagrad SGD (the FTRL-era recipe of McMahan et al. 2013 without the L1 part) and L2.
 */
public final class HashedLogisticRegression {
  private final int buckets;
  private final float[] w;
  private final float[] acc;
  private final double lr;
  private final double l2;
  private final int[] slots;
  private float bias;
  private float biasAcc;

  /**
   * @throws TrainerException if the bucket count is not a power of two in [2^4, 2^28]
   */
  public HashedLogisticRegression(int buckets, double learningRate, double l2) {
    if (buckets < 16 || buckets > (1 << 28) || Integer.bitCount(buckets) != 1) {
      throw new TrainerException("hashed LR buckets must be a power of two in [16, 268435456], found " + buckets);
    }
    this.buckets = buckets;
    this.w = new float[buckets];
    this.acc = new float[buckets];
    this.lr = learningRate;
    this.l2 = l2;
    this.slots = new int[64];
  }

  private int features(RawRecord r) {
    RawSchema s = r.schema();
    int n = 0;
    for (int f = 0; f < s.size(); f++) {
      String v;
      if (s.field(f).numeric()) {
        double x = r.number[f];
        v = Double.isNaN(x) ? "" : Integer.toString(FeatureEncoder.logBucket(x, Features.NUMERIC_BUCKETS));
      } else {
        v = r.category[f] == null ? "" : r.category[f];
      }
      long h = FeatureHash.hash64(s.field(f).name() + "=" + v);
      slots[n++] = (int) (h & (buckets - 1));
    }
    return n;
  }

  /** Probability of a click. */
  public double predict(RawRecord r) {
    int n = features(r);
    double z = bias;
    for (int i = 0; i < n; i++) {
      z += w[slots[i]];
    }
    return Trainer.sigmoid(z);
  }

  /** One SGD step on one example; returns its loss before the step. */
  public double update(RawRecord r) {
    int n = features(r);
    double z = bias;
    for (int i = 0; i < n; i++) {
      z += w[slots[i]];
    }
    double p = Trainer.sigmoid(z);
    double g = p - r.label;
    for (int i = 0; i < n; i++) {
      int k = slots[i];
      double gi = g + l2 * w[k];
      acc[k] += (float) (gi * gi);
      w[k] -= (float) (lr * gi / (Math.sqrt(acc[k]) + 1e-8));
    }
    biasAcc += (float) (g * g);
    bias -= (float) (lr * g / (Math.sqrt(biasAcc) + 1e-8));
    return Trainer.softplus(z) - r.label * z;
  }
}
