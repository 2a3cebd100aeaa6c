package io.ctrstreams.model.internal;

import io.ctrstreams.model.AffineLayer;
import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelGraph;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Scorer;

/**
 * The scalar reference scorer: one candidate at a time, straight through the layers of {@link
 * ModelGraph}, exactly as {@link ModelSpec} describes the forward pass. Every optimized scorer
 * is tested against it.
 */
public final class ReferenceScorer implements Scorer {
  private final CtrModel model;
  private final ModelSpec spec;
  private final ModelGraph g;
  private final Inputs inputs;
  private final ThreadLocal<Scratch> scratch;

  /** A reference scorer for {@code model}. */
  public ReferenceScorer(CtrModel model) {
    this.model = model;
    this.spec = model.spec();
    this.g = model.graph();
    this.inputs = new Inputs(spec);
    int width = Math.max(spec.embeddingWidth(), spec.firstLayerInputWidth());
    int layerScratch = 0;
    for (int i = 0; i < g.mlpLayers(); i++) {
      width = Math.max(width, g.mlp(i).outputSize());
      layerScratch = Math.max(layerScratch, g.mlp(i).scratchSize());
    }
    for (int i = 0; i < g.crossLayers(); i++) {
      layerScratch = Math.max(layerScratch, g.cross(i).scratchSize());
    }
    final int w = width;
    final int ls = layerScratch;
    this.scratch = ThreadLocal.withInitial(() -> new Scratch(w, ls));
  }

  @Override
  public CtrModel model() {
    return model;
  }

  @Override
  public float scoreLogit(FeatureVector context, FeatureVector candidate) {
    inputs.checkContext(context);
    inputs.checkCandidate(candidate);
    return logit(context, candidate, scratch.get());
  }

  @Override
  public void scoreLogitsBatch(FeatureVector context, FeatureVector[] candidates, int n, float[] out) {
    inputs.checkBatch(context, candidates, n, out);
    Scratch s = scratch.get();
    for (int i = 0; i < n; i++) {
      out[i] = logit(context, candidates[i], s);
    }
  }

  private float logit(FeatureVector ctx, FeatureVector cand, Scratch s) {
    int nf = spec.fieldCount();
    float[] x0 = s.x0;
    float logit = 0f;
    boolean deepFm = spec.architecture() == Architecture.DEEPFM;
    // Embedding stage: x0 = concat of per-field vectors (k-dim rows for folded low-rank fields).
    int off = 0;
    for (int f = 0; f < nf; f++) {
      FieldSpec fs = spec.field(f);
      FeatureVector v = fs.role() == FieldSpec.Role.CONTEXT ? ctx : cand;
      int row = fs.isLookup() ? v.index()[f] : 0;
      float scale = fs.isLookup() ? 1f : v.value()[f];
      g.input(f).write(row, scale, x0, off);
      if (deepFm) {
        logit += g.fmFirst(f)[row] * scale;
      }
      off += spec.fieldInputWidth(f);
    }
    if (deepFm) {
      logit += g.fmBias();
      int d = spec.field(0).embeddingDim();
      double fm = 0;
      for (int j = 0; j < d; j++) {
        float sum = 0f;
        float sumSq = 0f;
        for (int f = 0; f < nf; f++) {
          float e = x0[f * d + j];
          sum += e;
          sumSq += e * e;
        }
        fm += sum * sum - sumSq;
      }
      logit += (float) (0.5 * fm);
    }
    int width = off;
    float[] h = x0;
    if (spec.architecture() == Architecture.DCNV2 && g.crossLayers() > 0) {
      float[] xl = s.xl;
      System.arraycopy(x0, 0, xl, 0, width);
      for (int i = 0; i < g.crossLayers(); i++) {
        g.cross(i).forward(x0, 0, xl, 0, xl, 0, s.layerScratch);
      }
      if (spec.crossStructure() == CrossStructure.STACKED) {
        h = xl;
      }
    }
    float[] a = s.a;
    float[] b = s.b;
    for (int i = 0; i < g.mlpLayers(); i++) {
      AffineLayer l = g.mlp(i);
      float[] y = h == a ? b : a;
      l.forward(h, 0, y, 0, s.layerScratch);
      for (int j = 0; j < l.outputSize(); j++) {
        y[j] = Math.max(y[j], 0f);
      }
      h = y;
      width = l.outputSize();
    }
    float[] w = g.output().weight().data();
    float z = g.output().bias().data()[0];
    int wi = 0;
    if (spec.architecture() == Architecture.DCNV2 && spec.crossStructure() == CrossStructure.PARALLEL) {
      int d = spec.embeddingWidth();
      float[] xl = g.crossLayers() > 0 ? s.xl : x0;
      for (int j = 0; j < d; j++) {
        z += w[wi++] * xl[j];
      }
    }
    for (int j = 0; j < width; j++) {
      z += w[wi++] * h[j];
    }
    return logit + z;
  }

  /** Per-thread buffers. */
  private static final class Scratch {
    final float[] x0;
    final float[] xl;
    final float[] a;
    final float[] b;
    final float[] layerScratch;

    Scratch(int width, int layerScratch) {
      x0 = new float[width];
      xl = new float[width];
      a = new float[width];
      b = new float[width];
      this.layerScratch = new float[Math.max(1, layerScratch)];
    }
  }
}
