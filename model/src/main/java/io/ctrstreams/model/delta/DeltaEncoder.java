package io.ctrstreams.model.delta;

import io.ctrstreams.model.CtrModelException;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.format.ModelFile;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The producer's side of a delta chain, error feedback on the weights ("EF21-P"): it keeps
 * {@code w}, exactly what consumers reconstruct, and each {@link #next} sends {@code D = Q(C(x -
 * w))} and sets {@code w <- w + D} through {@link DeltaState#add}, the consumers' update rule, so
 * both hold bit-identical {@code w}. What is not sent stays in the residual {@code x - w} and
 * goes out later.
 *
 * <p>{@code C} is top-k, contractive ({@code ||r - C(r)||^2 <= (1 - k/d) ||r||^2}): per element
 * tensor the {@code k = ceil(ratio * d)} largest residuals by magnitude, per embedding table the
 * {@code ceil(ratio * rows)} rows with the largest residual norm, whole rows; ties go to the lower
 * index; zero residuals are never sent. {@code Q} is the {@link ValueEncoding}: FP16 values are
 * clamped to +-65504 and rounded, and the rounding error stays in the residual. Not thread-safe.
 */
public final class DeltaEncoder {
  private static final float HALF_MAX = 65504f;

  private final String model;
  private final double ratio;
  private final ValueEncoding encoding;
  private DeltaState w;
  private long base;
  private long sequence;
  private double residualNorm;
  private double modelNorm;
  private float[] scratch = new float[0];

  /**
   * An encoder whose consumers start from {@code keyframe}, published as {@code baseVersion}.
   *
   * @param ratio top-k ratio in (0, 1]
   */
  public DeltaEncoder(String model, long baseVersion, ModelFile keyframe, double ratio, ValueEncoding encoding) {
    this.model = Objects.requireNonNull(model, "model");
    if (!(ratio > 0 && ratio <= 1)) {
      throw new IllegalArgumentException("top-k ratio must be in (0, 1], found " + ratio);
    }
    this.ratio = ratio;
    this.encoding = Objects.requireNonNull(encoding, "encoding");
    keyframe(baseVersion, keyframe);
  }

  /** Restarts the chain: consumers now start from {@code x}, published as {@code baseVersion}. */
  public void keyframe(long baseVersion, ModelFile x) {
    this.w = DeltaState.of(x);
    this.base = baseVersion;
    this.sequence = 0;
    this.residualNorm = 0;
    this.modelNorm = w.norm();
  }

  /**
   * The next delta toward {@code x} (the same tensors as the keyframe), applied to {@code w}.
   *
   * @throws CtrModelException when {@code x} has other tensors or a non-finite value
   */
  public ModelDelta next(ModelFile x, long trainerStep, long examplesTrained, long nowMs) {
    List<Tensor> xs = x.tensors();
    if (xs.size() != w.tensorCount()) {
      throw new CtrModelException("model " + model + " has " + xs.size() + " tensors, the chain " + w.tensorCount());
    }
    List<TensorDelta> out = new ArrayList<>();
    double before = 0;
    double after = 0;
    double xNorm = 0;
    for (int t = 0; t < xs.size(); t++) {
      Tensor xt = xs.get(t);
      if (!xt.name().equals(w.name(t)) || xt.size() != w.values(t).length) {
        throw new CtrModelException("tensor " + t + " of model " + model + " is " + xt.name() + " with "
            + xt.size() + " values, the chain's " + w.name(t) + " has " + w.values(t).length);
      }
      float[] xv = xt.data();
      float[] wv = w.values(t);
      int unit = w.unit(t);
      int units = wv.length / unit;
      if (scratch.length < units) {
        scratch = new float[units];
      }
      double sq = 0;
      for (int u = 0; u < units; u++) {
        double s = 0;
        for (int c = 0; c < unit; c++) {
          int i = u * unit + c;
          if (!Float.isFinite(xv[i])) {
            throw new CtrModelException("tensor " + xt.name() + " of model " + model + " has value " + xv[i]
                + " at " + i + ": a diverged model is not sent");
          }
          float r = xv[i] - wv[i];
          s += (double) r * r;
          xNorm += (double) xv[i] * xv[i];
        }
        scratch[u] = (float) s;
        sq += s;
      }
      before += sq;
      int k = (int) Math.min(units, Math.ceil(ratio * units));
      int[] picked = topK(scratch, units, k);
      if (picked.length == 0) {
        continue;
      }
      float[] values = new float[picked.length * unit];
      double sentBefore = 0;
      double sentAfter = 0;
      for (int j = 0; j < picked.length; j++) {
        for (int c = 0; c < unit; c++) {
          int i = picked[j] * unit + c;
          float r = xv[i] - wv[i];
          float q = encoding.round(encoding == ValueEncoding.FP16 ? Math.max(-HALF_MAX, Math.min(HALF_MAX, r)) : r);
          values[j * unit + c] = q;
          sentBefore += (double) r * r;
          float left = xv[i] - (wv[i] + q);
          sentAfter += (double) left * left;
        }
      }
      after += sq - sentBefore + sentAfter;
      w.add(t, picked, values, null);
      out.add(new TensorDelta(xt.name(), picked, values));
    }
    sequence++;
    residualNorm = Math.sqrt(Math.max(0, after));
    modelNorm = Math.sqrt(xNorm);
    return new ModelDelta(model, base, sequence, encoding, trainerStep, examplesTrained, nowMs, residualNorm, modelNorm,
        w.hash(), out);
  }

  /** The weights consumers hold after the last delta (live: do not modify). */
  public DeltaState state() {
    return w;
  }

  /** Version of the chain's keyframe. */
  public long baseVersion() {
    return base;
  }

  /** Sequence number of the last delta (0 right after a keyframe). */
  public long sequence() {
    return sequence;
  }

  /** {@code ||x - w|| / ||x||} after the last delta (0 after a keyframe or for a zero model). */
  public double residualRatio() {
    return modelNorm == 0 ? 0 : residualNorm / modelNorm;
  }

  /**
   * The indices, ascending, of the {@code k} largest of {@code score[0 .. n)} that are positive;
   * ties at the threshold go to the lower index.
   */
  static int[] topK(float[] score, int n, int k) {
    int positive = 0;
    for (int i = 0; i < n; i++) {
      if (score[i] > 0) {
        positive++;
      }
    }
    if (positive <= k) {
      int[] all = new int[positive];
      for (int i = 0, j = 0; i < n; i++) {
        if (score[i] > 0) {
          all[j++] = i;
        }
      }
      return all;
    }
    float[] copy = new float[n];
    System.arraycopy(score, 0, copy, 0, n);
    float threshold = kthLargest(copy, n, k);
    int above = 0;
    for (int i = 0; i < n; i++) {
      if (score[i] > threshold) {
        above++;
      }
    }
    int ties = k - above;
    int[] picked = new int[k];
    for (int i = 0, j = 0; i < n && j < k; i++) {
      if (score[i] > threshold || (score[i] == threshold && ties-- > 0)) {
        picked[j++] = i;
      }
    }
    return picked;
  }

  /** The k-th largest value of {@code a[0 .. n)} (1 <= k <= n); reorders {@code a}. */
  private static float kthLargest(float[] a, int n, int k) {
    int lo = 0;
    int hi = n - 1;
    int target = k - 1; // index in descending order
    while (lo < hi) {
      float pivot = median(a[lo], a[(lo + hi) >>> 1], a[hi]);
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (a[i] > pivot) {
          i++;
        }
        while (a[j] < pivot) {
          j--;
        }
        if (i <= j) {
          float tmp = a[i];
          a[i] = a[j];
          a[j] = tmp;
          i++;
          j--;
        }
      }
      if (target <= j) {
        hi = j;
      } else if (target >= i) {
        lo = i;
      } else {
        return a[target];
      }
    }
    return a[target];
  }

  private static float median(float a, float b, float c) {
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  }
}
