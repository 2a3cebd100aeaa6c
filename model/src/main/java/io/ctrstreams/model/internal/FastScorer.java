package io.ctrstreams.model.internal;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.Scorer;

/** The optimized scorer (placeholder: delegates to the reference scorer). */
public final class FastScorer implements Scorer {
  private final CtrModel model;
  private final ReferenceScorer ref;

  /** An optimized scorer for {@code model}. */
  public FastScorer(CtrModel model) {
    this.model = model;
    this.ref = new ReferenceScorer(model);
  }

  @Override
  public CtrModel model() {
    return model;
  }

  @Override
  public float scoreLogit(FeatureVector context, FeatureVector candidate) {
    return ref.scoreLogit(context, candidate);
  }

  @Override
  public void scoreLogitsBatch(FeatureVector context, FeatureVector[] candidates, int n, float[] out) {
    ref.scoreLogitsBatch(context, candidates, n, out);
  }

  /** Heap bytes of precomputed weight layouts. */
  public long ramBytesUsed() {
    return 0;
  }
}
