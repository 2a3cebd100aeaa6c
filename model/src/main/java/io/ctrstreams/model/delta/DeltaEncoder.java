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
 * clamped to +-65504 and rounded, and the rounding error stays in the residual. Under a quantized
 * encoding ({@code INT8 .. INT2}) the ranked units of the other tensors are aligned blocks of
 * {@link ValueEncoding#BLOCK} elements, and each picked row or block is quantized with its own
 * scale ({@link ValueEncoding#quantize}, or under {@link GroupScale#LOG4} a 4-bit code below one
 * maximum per tensor: {@link ValueEncoding#quantizeCoded}); its elements all travel.
 *
 * <p>{@link Selection#FISHER} ranks units by their residual weighted by how much each value moves
 * the output, the diagonal of the empirical Fisher information the optimizer already keeps (its
 * mean squared gradient per value, passed to {@link #next(ModelFile, float[][], long, long,
 * long)}): {@code sum_i r_i^2 f_i}, a second-order estimate of the squared change of the loss
 * that sending the unit removes, instead of {@code sum_i r_i^2}. An Adagrad table row that few
 * examples touch takes large steps (its accumulator is small) but matters to few predictions; this
 * spends the budget on the rows and weights the traffic actually reads. Selection is the
 * producer's alone: the wire and the consumers do not change. C is then contractive in the
 * f-weighted norm, not the plain one (values with {@code f = 0} are never sent), so the plain
 * residual ratio can grow between keyframes. Not thread-safe.
 */
public final class DeltaEncoder extends DeltaChain {
  private static final float HALF_MAX = 65504f;

  private final String model;
  private final double ratio;
  private final ValueEncoding encoding;
  private double residualNorm;
  private double modelNorm;
  private final Scope scope;
  private final GroupScale groupScale;
  private final Selection selection;
  private float[][] scores;

  /** How the units to send are ranked. */
  public enum Selection {
    /** By squared residual ({@code sum r^2} per unit). */
    RESIDUAL,
    /**
     * By squared residual weighted by the optimizer's mean squared gradient per value ({@code sum
     * r^2 f}); the plain residual when no weights are given.
     */
    FISHER
  }

  /** How the top-k budget is spread. */
  public enum Scope {
    /** {@code ceil(ratio * units)} units of every tensor. */
    TENSOR,
    /**
     * {@code ceil(ratio * values)} values for the whole model, to the units with the largest
     * squared residual per value, wherever they are (tables that training barely touches give
     * their share to the layers that moved).
     */
    MODEL
  }

  /**
   * An encoder whose consumers start from {@code keyframe}, published as {@code baseVersion}.
   *
   * @param ratio top-k ratio in (0, 1]
   */
  public DeltaEncoder(String model, long baseVersion, ModelFile keyframe, double ratio, ValueEncoding encoding) {
    this(model, baseVersion, keyframe, ratio, encoding, Scope.TENSOR);
  }

  /** As {@link #DeltaEncoder(String, long, ModelFile, double, ValueEncoding)} with a budget scope. */
  public DeltaEncoder(String model, long baseVersion, ModelFile keyframe, double ratio, ValueEncoding encoding,
      Scope scope) {
    this(model, baseVersion, keyframe, ratio, encoding, scope, GroupScale.BF16, Selection.RESIDUAL);
  }

  /**
   * As {@link #DeltaEncoder(String, long, ModelFile, double, ValueEncoding, Scope)} with the form of
   * the groups' scales and the ranking of units.
   *
   * @throws IllegalArgumentException for {@link GroupScale#LOG4} with a float encoding
   */
  public DeltaEncoder(String model, long baseVersion, ModelFile keyframe, double ratio, ValueEncoding encoding,
      Scope scope, GroupScale groupScale, Selection selection) {
    this.model = Objects.requireNonNull(model, "model");
    this.scope = Objects.requireNonNull(scope, "scope");
    this.groupScale = Objects.requireNonNull(groupScale, "groupScale");
    this.selection = Objects.requireNonNull(selection, "selection");
    if (groupScale == GroupScale.LOG4 && !encoding.quantized()) {
      throw new IllegalArgumentException("group scale LOG4 needs a quantized encoding (int8 .. int2), found " + encoding);
    }
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
    this.scores = null;
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
    return next(x, null, trainerStep, examplesTrained, nowMs);
  }

  /**
   * {@link #next(ModelFile, long, long, long)} ranking units, under {@link Selection#FISHER}, by
   * {@code sum r^2 f}: {@code fisher[t][i]} is how much value {@code i} of tensor {@code t} moves
   * the output (the optimizer's mean squared gradient, {@code >= 0}; a null row weighs the tensor
   * 0, a negative or non-finite entry counts as 0). A null {@code fisher}, or {@link
   * Selection#RESIDUAL}, ranks by the plain residual.
   *
   * @throws CtrModelException when {@code x} has other tensors or a non-finite value, or {@code
   *     fisher} does not match them
   */
  public ModelDelta next(ModelFile x, float[][] fisher, long trainerStep, long examplesTrained, long nowMs) {
    List<Tensor> xs = x.tensors();
    int nt = w.tensorCount();
    if (xs.size() != nt) {
      throw new CtrModelException("model " + model + " has " + xs.size() + " tensors, the chain " + nt);
    }
    float[][] f = selection == Selection.FISHER ? fisher : null;
    if (f != null && f.length != nt) {
      throw new CtrModelException("fisher weights for " + f.length + " tensors, model " + model + " has " + nt);
    }
    // 1. squared residual per unit (a row of an embedding table, an element otherwise)
    if (scores == null) {
      scores = new float[nt][];
    }
    double before = 0;
    double xNorm = 0;
    long values = 0;
    for (int t = 0; t < nt; t++) {
      Tensor xt = xs.get(t);
      if (!xt.name().equals(w.name(t)) || xt.size() != w.values(t).length) {
        throw new CtrModelException("tensor " + t + " of model " + model + " is " + xt.name() + " with "
            + xt.size() + " values, the chain's " + w.name(t) + " has " + w.values(t).length);
      }
      float[] xv = xt.data();
      float[] wv = w.values(t);
      float[] ft = f == null ? null : f[t];
      if (ft != null && ft.length != wv.length) {
        throw new CtrModelException("fisher weights of tensor " + xt.name() + " have " + ft.length + " values, the tensor "
            + wv.length);
      }
      int unit = group(t);
      int units = (wv.length + unit - 1) / unit;
      if (scores[t] == null) {
        scores[t] = new float[units];
      }
      float[] sc = scores[t];
      for (int u = 0; u < units; u++) {
        double su = 0;
        double weighted = 0;
        int len = groupLength(t, u);
        for (int c = 0; c < len; c++) {
          int i = u * unit + c;
          if (!Float.isFinite(xv[i])) {
            throw new CtrModelException("tensor " + xt.name() + " of model " + model + " has value " + xv[i]
                + " at " + i + ": a diverged model is not sent");
          }
          float r = xv[i] - wv[i];
          double r2 = (double) r * r;
          su += r2;
          if (f != null && ft != null) {
            float fi = ft[i];
            if (fi > 0 && fi < Float.POSITIVE_INFINITY) {
              weighted += r2 * fi;
            }
          }
          xNorm += (double) xv[i] * xv[i];
        }
        sc[u] = (float) (f == null ? su : weighted);
        before += su;
      }
      values += wv.length;
    }
    // 2. which units: per tensor, or by residual per value against one budget for the model
    int[][] picked = new int[nt][];
    if (scope == Scope.TENSOR) {
      for (int t = 0; t < nt; t++) {
        int units = scores[t].length;
        picked[t] = topK(scores[t], units, (int) Math.min(units, Math.ceil(ratio * units)));
      }
    } else {
      pickByDensity(picked, (long) Math.min(values, Math.ceil(ratio * values)));
    }
    // 3. send them: Q(r), applied to w with the consumers' rule
    List<TensorDelta> out = new ArrayList<>();
    double after = before;
    for (int t = 0; t < nt; t++) {
      if (picked[t].length == 0) {
        continue;
      }
      float[] xv = xs.get(t).data();
      float[] wv = w.values(t);
      if (encoding.quantized()) {
        TensorDelta d = quantized(t, picked[t], xv, wv, xs.get(t).name());
        int unit = w.unit(t);
        for (int j = 0; j < d.indices().length; j++) {
          for (int c = 0; c < unit; c++) {
            int i = d.indices()[j] * unit + c;
            float r = xv[i] - wv[i];
            float left = xv[i] - (wv[i] + d.values()[j * unit + c]);
            after += (double) left * left - (double) r * r;
          }
        }
        w.add(t, d.indices(), d.values(), null);
        out.add(d);
        continue;
      }
      int unit = w.unit(t);
      float[] vals = new float[picked[t].length * unit];
      for (int j = 0; j < picked[t].length; j++) {
        for (int c = 0; c < unit; c++) {
          int i = picked[t][j] * unit + c;
          float r = xv[i] - wv[i];
          float q = encoding.round(encoding == ValueEncoding.FP16 ? Math.max(-HALF_MAX, Math.min(HALF_MAX, r)) : r);
          vals[j * unit + c] = q;
          float left = xv[i] - (wv[i] + q);
          after += (double) left * left - (double) r * r;
        }
      }
      w.add(t, picked[t], vals, null);
      out.add(new TensorDelta(xs.get(t).name(), picked[t], vals));
    }
    sequence++;
    residualNorm = Math.sqrt(Math.max(0, after));
    modelNorm = Math.sqrt(xNorm);
    return new ModelDelta(model, base, sequence, encoding, trainerStep, examplesTrained, nowMs, residualNorm, modelNorm,
        w.hash(), out);
  }

  /**
   * The units of tensor {@code t} that top-k ranks and a quantized encoding scales together: rows
   * of an embedding table, else one element, or {@link ValueEncoding#BLOCK} elements under a
   * quantized encoding.
   */
  private int group(int t) {
    int unit = w.unit(t);
    return encoding.quantized() && unit == 1 ? ValueEncoding.BLOCK : unit;
  }

  /** Values in group {@code u} of tensor {@code t} (the last block of a tensor may be short). */
  private int groupLength(int t, int u) {
    int g = group(t);
    return Math.min(g, w.values(t).length - u * g);
  }

  /**
   * The picked groups of tensor {@code t} quantized, as the delta of {@code w}'s units: the rows
   * themselves, or every element of each picked block, in increasing order.
   */
  private TensorDelta quantized(int t, int[] groups, float[] xv, float[] wv, String name) {
    int g = group(t);
    int unit = w.unit(t);
    int n = 0;
    for (int u : groups) {
      n += groupLength(t, u);
    }
    float[] r = new float[g];
    float[] vals = new float[n];
    int[] idx = new int[n / unit];
    float max = 0;
    byte[] codes = null;
    if (groupScale == GroupScale.LOG4) {
      float need = 0;
      for (int u : groups) {
        int len = groupLength(t, u);
        for (int c = 0; c < len; c++) {
          int i = u * g + c;
          need = Math.max(need, Math.abs(xv[i] - wv[i]));
        }
      }
      max = ValueEncoding.codedMaximum(need / encoding.levels());
      codes = new byte[groups.length];
    }
    int o = 0;
    int j = 0;
    for (int u : groups) {
      int len = groupLength(t, u);
      for (int c = 0; c < len; c++) {
        int i = u * g + c;
        r[c] = xv[i] - wv[i];
      }
      if (codes != null) {
        codes[j++] = (byte) encoding.quantizeCoded(r, 0, len, vals, o, max);
      } else {
        encoding.quantize(r, 0, len, vals, o);
      }
      if (unit == 1) {
        for (int c = 0; c < len; c++) {
          idx[o + c] = u * g + c;
        }
      } else {
        idx[o / unit] = u;
      }
      o += len;
    }
    return new TensorDelta(name, idx, vals, codes == null ? null : new TensorDelta.CodedScales(max, codes));
  }

  /**
   * Model scope: the units with the largest squared residual per value, until {@code budget}
   * values; ties at the threshold in tensor and index order. Captures at least {@code budget /
   * values} of the squared residual (the greedy order by density), so C stays contractive.
   */
  private void pickByDensity(int[][] picked, long budget) {
    int n = 0;
    for (float[] sc : scores) {
      for (float v : sc) {
        if (v > 0) {
          n++;
        }
      }
    }
    float[] dens = new float[n];
    int[] weight = new int[n];
    long positive = 0;
    for (int t = 0, j = 0; t < scores.length; t++) {
      float[] sc = scores[t];
      for (int u = 0; u < sc.length; u++) {
        if (sc[u] > 0) {
          int len = groupLength(t, u);
          dens[j] = sc[u] / len;
          weight[j++] = len;
          positive += len;
        }
      }
    }
    float threshold;
    long tieBudget;
    if (positive <= budget) {
      threshold = 0;
      tieBudget = 0;
    } else {
      long[] at = new long[1];
      threshold = weightedThreshold(dens, weight, n, budget, at);
      tieBudget = budget - at[0]; // values left for units exactly at the threshold
    }
    for (int t = 0; t < scores.length; t++) {
      float[] sc = scores[t];
      int[] idx = new int[sc.length];
      int k = 0;
      for (int u = 0; u < sc.length; u++) {
        int unit = groupLength(t, u);
        float d = sc[u] / unit;
        if (sc[u] > 0 && (d > threshold || (d == threshold && tieBudget >= unit))) {
          if (d == threshold) {
            tieBudget -= unit;
          }
          idx[k++] = u;
        }
      }
      picked[t] = java.util.Arrays.copyOf(idx, k);
    }
  }

  /**
   * The density {@code tau} at which the weight of the units denser than {@code tau}, in
   * descending order, reaches {@code need}; {@code above[0]} = the weight strictly above it.
   * Weighted quickselect, expected O(n); reorders both arrays.
   */
  static float weightedThreshold(float[] d, int[] w, int n, long need, long[] above) {
    int lo = 0;
    int hi = n; // exclusive
    long taken = 0;
    while (true) {
      float p = median(d[lo], d[(lo + hi - 1) >>> 1], d[hi - 1]);
      // three-way partition of [lo, hi): > p | == p | < p
      int gt = lo;
      int i = lo;
      int lt = hi;
      while (i < lt) {
        if (d[i] > p) {
          swap(d, w, gt++, i++);
        } else if (d[i] < p) {
          swap(d, w, i, --lt);
        } else {
          i++;
        }
      }
      long wg = 0;
      for (int j = lo; j < gt; j++) {
        wg += w[j];
      }
      long we = 0;
      for (int j = gt; j < lt; j++) {
        we += w[j];
      }
      if (taken + wg >= need && gt > lo) {
        hi = gt;
      } else if (taken + wg + we >= need) {
        above[0] = taken + wg;
        return p;
      } else {
        taken += wg + we;
        lo = lt;
        if (lo >= hi) {
          above[0] = taken;
          return 0;
        }
      }
    }
  }

  private static void swap(float[] d, int[] w, int a, int b) {
    float t = d[a];
    d[a] = d[b];
    d[b] = t;
    int u = w[a];
    w[a] = w[b];
    w[b] = u;
  }




  /** {@code ||x - w|| / ||x||} after the last delta (0 after a keyframe or for a zero model). */
  public double residualRatio() {
    return modelNorm == 0 ? 0 : residualNorm / modelNorm;
  }

  /**
   * The indices, ascending, of the {@code k} largest of {@code score[0 .. n)} that are positive;
   * ties at the threshold go to the lower index. Public so that the trainers' gradient exchange
   * (issue 15) selects with the same contractive top-k as the delta stream. Allocates its result
   * and a scratch copy; {@link #topK(float[], int, int, float[], int[])} is the allocation-free
   * form.
   */
  public static int[] topK(float[] score, int n, int k) {
    int[] picked = new int[Math.max(0, Math.min(k, n))];
    int count = topK(score, n, k, new float[n], picked);
    return count == picked.length ? picked : java.util.Arrays.copyOf(picked, count);
  }

  /**
   * {@link #topK(float[], int, int)} without allocation: writes the picked indices, ascending, to
   * {@code picked[0 .. count)} and returns {@code count} ({@code min(k, positives)}). {@code
   * scratch} (length >= n) is overwritten; {@code score} is not changed.
   *
   * @throws IllegalArgumentException if a buffer is too small or k is negative
   */
  public static int topK(float[] score, int n, int k, float[] scratch, int[] picked) {
    if (k < 0 || n < 0 || n > score.length || scratch.length < n || picked.length < Math.min(k, n)) {
      throw new IllegalArgumentException("topK needs 0 <= k, n <= score.length (" + score.length
          + "), scratch >= n and picked >= min(k, n); found n " + n + ", k " + k + ", scratch " + scratch.length
          + ", picked " + picked.length);
    }
    int positive = 0;
    for (int i = 0; i < n; i++) {
      if (score[i] > 0) {
        positive++;
      }
    }
    if (k == 0) {
      return 0;
    }
    if (positive <= k) {
      for (int i = 0, j = 0; i < n; i++) {
        if (score[i] > 0) {
          picked[j++] = i;
        }
      }
      return positive;
    }
    System.arraycopy(score, 0, scratch, 0, n);
    float threshold = kthLargest(scratch, n, k);
    int above = 0;
    for (int i = 0; i < n; i++) {
      if (score[i] > threshold) {
        above++;
      }
    }
    int ties = k - above;
    for (int i = 0, j = 0; i < n && j < k; i++) {
      if (score[i] > threshold || (score[i] == threshold && ties-- > 0)) {
        picked[j++] = i;
      }
    }
    return k;
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
