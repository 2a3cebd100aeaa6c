package io.ctrstreams.recompressor.internal;

import io.ctrstreams.model.Scorer;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.recompressor.Calibration;
import io.ctrstreams.recompressor.search.Fitness;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Fitness = logloss of a student's probabilities against the teacher's on fixed rows, with the
 * activations after each layer cached by genome PREFIX (the genes of that layer and all before
 * it): GA populations share prefixes, so most candidates only recompute their last layers.
 * Genes must be ordered embeddings, cross layers, hidden layers. The cache is an LRU bounded in
 * bytes.
 */
public final class PrefixCachedFitness implements Fitness {
  private final Function<int[], BatchNet> student;
  private final Calibration calib;
  private final int from;
  private final int n;
  private final float[] teacher;
  private final int embGenes;
  private final long maxBytes;
  private long bytes;
  private final LinkedHashMap<String, float[][]> cache = new LinkedHashMap<>(64, 0.75f, true);

  /**
   * @param student builds the student network of a genome
   * @param embGenes how many leading genes are embedding genes
   * @param teacher the teacher's probabilities on rows {@code [from, from + n)}
   */
  public PrefixCachedFitness(Function<int[], BatchNet> student, int embGenes, Calibration calib, int from, int n,
      float[] teacher, long maxBytes) {
    this.student = student;
    this.embGenes = embGenes;
    this.calib = calib;
    this.from = from;
    this.n = n;
    this.teacher = teacher;
    this.maxBytes = maxBytes;
  }

  @Override
  public double loss(int[] g) {
    BatchNet s = student.apply(g);
    StringBuilder key = new StringBuilder("e");
    int gi = 0;
    for (; gi < embGenes; gi++) {
      key.append(g[gi]).append(',');
    }
    float[][] head = get(key.toString(), () -> {
      float[] x0 = s.embed(calib, from, n);
      return new float[][] {x0, s.fmLogits(calib, from, n, x0)};
    });
    float[] x0 = head[0];
    float[] xl = x0;
    for (int i = 0; i < s.crossLayers(); i++) {
      key.append("|c").append(g[gi++]);
      final float[] in = xl;
      final int layer = i;
      xl = get(key.toString(), () -> new float[][] {s.crossForward(layer, x0, in, n)})[0];
    }
    float[] h = s.mlpInput(x0, xl);
    for (int i = 0; i < s.mlpLayers(); i++) {
      key.append("|m").append(g[gi++]);
      final float[] in = h;
      final int layer = i;
      h = get(key.toString(), () -> new float[][] {s.mlpForward(layer, in, n)})[0];
    }
    float[] logit = head[1].clone();
    s.addOutput(xl, h, n, logit);
    float[] p = new float[n];
    for (int i = 0; i < n; i++) {
      p[i] = Scorer.sigmoid(logit[i]);
    }
    return BinaryMetrics.logloss(p, teacher, n);
  }

  private float[][] get(String key, Supplier<float[][]> compute) {
    float[][] v = cache.get(key);
    if (v != null) {
      return v;
    }
    v = compute.get();
    long size = 0;
    for (float[] a : v) {
      size += 4L * a.length;
    }
    cache.put(key, v);
    bytes += size;
    Iterator<Map.Entry<String, float[][]>> it = cache.entrySet().iterator();
    while (bytes > maxBytes && it.hasNext()) {
      Map.Entry<String, float[][]> e = it.next();
      if (e.getKey().equals(key)) {
        continue;
      }
      for (float[] a : e.getValue()) {
        bytes -= 4L * a.length;
      }
      it.remove();
    }
    return v;
  }
}
