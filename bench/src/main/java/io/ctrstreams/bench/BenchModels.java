package io.ctrstreams.bench;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.FieldSpec.Role;
import io.ctrstreams.model.LowRankConfig;
import io.ctrstreams.model.ModelSpec;
import java.util.Random;

/**
 * The benchmark models: Criteo shape (13 numeric LOG_BUCKET fields I1..I13, 26 categorical
 * fields C1..C26, embedding dim 16, MLP 400-400-400), DNN or DCN-V2 (3 stacked cross layers),
 * dense or low-rank.
 *
 * <p>Context = I1..I13 and C1..C13 (user/page side), candidate = C14..C26 (ad side). Tables are
 * kept modest (10,000 rows per categorical field, 100 buckets per numeric field) so that the
 * benchmark measures compute rather than page faults on cold embedding rows.
 *
 * <p>Low-rank layouts (the paper's Criteo setting, KDD 2024, with embedding rank 4):
 *
 * <ul>
 *   <li>DNN: embedding rank 4 folded into the first layer, MLP ranks [0, 64, 64] (first layer
 *       dense, as in the paper's repo).
 *   <li>DCN-V2: embedding rank 4 (not foldable: the cross network sits between embeddings and
 *       MLP), cross ranks [64, 64, 64], MLP ranks [64, 64, 64].
 * </ul>
 */
public final class BenchModels {
  /** Rows per categorical field. */
  public static final int CATEGORY_ROWS = 10_000;
  /** Buckets per numeric field. */
  public static final int NUMERIC_BUCKETS = 100;

  private BenchModels() {}

  /** The spec for {@code arch} ("DNN" or "DCNV2"), dense or low-rank. */
  public static ModelSpec spec(String arch, boolean lowRank) {
    Architecture a = Architecture.valueOf(arch);
    ModelSpec.Builder b = ModelSpec.builder().name("criteo-" + arch.toLowerCase() + (lowRank ? "-lr" : ""))
        .architecture(a).mlp(400, 400, 400);
    for (int i = 1; i <= 13; i++) {
      b.field(FieldSpec.logBucket("I" + i, Role.CONTEXT, NUMERIC_BUCKETS, 16));
    }
    for (int i = 1; i <= 26; i++) {
      b.field(FieldSpec.categorical("C" + i, i <= 13 ? Role.CONTEXT : Role.CANDIDATE, 0, CATEGORY_ROWS, 16));
    }
    if (a == Architecture.DCNV2) {
      b.crossLayers(3);
    }
    if (lowRank) {
      if (a == Architecture.DNN) {
        b.lowRank(LowRankConfig.of(4, true, 0, 64, 64));
      } else {
        b.lowRank(new LowRankConfig(4, false, new int[] {64, 64, 64}, new int[] {64, 64, 64}, false, null));
      }
    }
    return b.build();
  }

  /** A seeded random model of {@link #spec}. */
  public static CtrModel model(String arch, boolean lowRank) {
    return CtrModel.random(spec(arch, lowRank), 42);
  }

  /** A seeded random encoded vector (all fields set). */
  public static FeatureVector vector(ModelSpec spec, Random rnd) {
    FeatureVector v = spec.newFeatureVector();
    for (int f = 0; f < spec.fieldCount(); f++) {
      v.set(f, rnd.nextInt(spec.field(f).rows()), 1f);
    }
    return v;
  }
}
