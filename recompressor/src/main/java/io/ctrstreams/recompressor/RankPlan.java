package io.ctrstreams.recompressor;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.LowRankConfig;
import io.ctrstreams.model.ModelSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Target ranks of every compressible layer; 0 keeps a layer dense.
 *
 * @param embeddingRanks per field ordinal (SCALED fields must be 0)
 * @param mlpRanks per hidden layer
 * @param crossRanks per cross layer
 * @param fold fold the embedding projections into the first MLP layer (DNN only)
 */
public record RankPlan(int[] embeddingRanks, int[] mlpRanks, int[] crossRanks, boolean fold) {

  public RankPlan {
    embeddingRanks = embeddingRanks.clone();
    mlpRanks = mlpRanks.clone();
    crossRanks = crossRanks.clone();
  }

  @Override
  public int[] embeddingRanks() {
    return embeddingRanks.clone();
  }

  @Override
  public int[] mlpRanks() {
    return mlpRanks.clone();
  }

  @Override
  public int[] crossRanks() {
    return crossRanks.clone();
  }

  /** Everything dense. */
  public static RankPlan dense(ModelSpec spec) {
    return new RankPlan(new int[spec.fieldCount()], new int[spec.mlpLayers()], new int[spec.crossLayers()], false);
  }

  /**
   * One embedding rank for every lookup field (clipped below each field's dim; 0 = dense) and the
   * given MLP and cross ranks.
   */
  public static RankPlan of(ModelSpec spec, int embeddingRank, int[] mlpRanks, int[] crossRanks, boolean fold) {
    int[] e = new int[spec.fieldCount()];
    for (int f = 0; f < e.length; f++) {
      e[f] = spec.field(f).isLookup() ? Math.min(embeddingRank, spec.field(f).embeddingDim()) : 0;
    }
    return new RankPlan(e, mlpRanks, crossRanks, fold);
  }

  /** Checks the plan against a spec, naming the offending entry. */
  public void check(ModelSpec spec) {
    if (embeddingRanks.length != spec.fieldCount() || mlpRanks.length != spec.mlpLayers()
        || crossRanks.length != spec.crossLayers()) {
      throw new RecompressorException("rank plan " + this + " does not fit model " + spec.name() + " with "
          + spec.fieldCount() + " fields, " + spec.mlpLayers() + " hidden and " + spec.crossLayers() + " cross layers");
    }
    for (int f = 0; f < embeddingRanks.length; f++) {
      int k = embeddingRanks[f];
      int d = spec.field(f).embeddingDim();
      if (k < 0 || k > d || (k > 0 && !spec.field(f).isLookup())) {
        throw new RecompressorException("embedding rank for field " + spec.field(f).name() + " must be in [0, " + d
            + "] (0 for SCALED fields), found " + k);
      }
    }
    for (int i = 0; i < mlpRanks.length; i++) {
      int max = Math.min(spec.mlpSize(i), i == 0 ? spec.embeddingWidth() : spec.mlpSize(i - 1));
      if (mlpRanks[i] < 0 || mlpRanks[i] > max) {
        throw new RecompressorException("rank of mlp layer " + i + " must be in [0, " + max + "], found " + mlpRanks[i]);
      }
    }
    for (int i = 0; i < crossRanks.length; i++) {
      if (crossRanks[i] < 0 || crossRanks[i] > spec.embeddingWidth()) {
        throw new RecompressorException("rank of cross layer " + i + " must be in [0, " + spec.embeddingWidth()
            + "], found " + crossRanks[i]);
      }
    }
    if (fold && spec.architecture() != Architecture.DNN) {
      throw new RecompressorException("folding embeddings into the first MLP layer needs a DNN, model " + spec.name()
          + " is " + spec.architecture());
    }
    if (fold && spec.mlpLayers() == 0) {
      throw new RecompressorException("folding embeddings needs a first MLP layer, model " + spec.name() + " has none");
    }
  }

  /** The core's config for this plan ({@code null} when everything stays dense). */
  public LowRankConfig toLowRankConfig(ModelSpec spec) {
    Map<String, Integer> fields = new LinkedHashMap<>();
    boolean any = false;
    for (int f = 0; f < embeddingRanks.length; f++) {
      if (embeddingRanks[f] > 0) {
        fields.put(spec.field(f).name(), embeddingRanks[f]);
        any = true;
      }
    }
    for (int r : mlpRanks) {
      any |= r > 0;
    }
    for (int r : crossRanks) {
      any |= r > 0;
    }
    if (!any) {
      return null;
    }
    boolean foldNow = fold && !fields.isEmpty();
    return new LowRankConfig(0, foldNow, mlpRanks, crossRanks.length == 0 ? null : crossRanks, false, fields);
  }

  @Override
  public String toString() {
    return "emb=" + Arrays.toString(embeddingRanks) + " mlp=" + Arrays.toString(mlpRanks)
        + (crossRanks.length == 0 ? "" : " cross=" + Arrays.toString(crossRanks)) + (fold ? " folded" : "");
  }
}
