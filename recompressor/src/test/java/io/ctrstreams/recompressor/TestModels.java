package io.ctrstreams.recompressor;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.FieldSpec.Role;
import io.ctrstreams.model.LowRankConfig;
import io.ctrstreams.model.ModelSpec;
import java.util.Random;

/** Small specs, models and calibration rows for recompressor tests. */
public final class TestModels {
  private TestModels() {}

  /**
   * Seven fields of one embedding dim (DeepFM needs that): four categorical (one with a
   * vocabulary), two log-bucket numerics and one SCALED numeric.
   */
  public static ModelSpec spec(Architecture arch, CrossStructure structure, int dim, LowRankConfig lowRank) {
    ModelSpec.Builder b = ModelSpec.builder()
        .name("test-" + arch.name().toLowerCase(java.util.Locale.ROOT))
        .architecture(arch)
        .field(FieldSpec.categorical("site", Role.CONTEXT, 40, 5, dim))
        .field(FieldSpec.logBucket("age", Role.CONTEXT, 20, dim))
        .field(FieldSpec.categorical("device", Role.CONTEXT, 0, 30, dim))
        .field(FieldSpec.categorical("ad", Role.CANDIDATE, 0, 120, dim))
        .field(FieldSpec.categorical("advertiser", Role.CANDIDATE, 0, 60, dim))
        .field(FieldSpec.logBucket("price", Role.CANDIDATE, 15, dim))
        .field(FieldSpec.scaled("bid", Role.CANDIDATE, dim))
        .mlp(48, 32, 16)
        .lowRank(lowRank);
    if (arch == Architecture.DCNV2) {
      b.crossLayers(2).crossStructure(structure);
    }
    return b.build();
  }

  /** Rows with Zipf-like table indices (frequent ids dominate, as in real traffic). */
  public static Calibration rows(ModelSpec spec, int n, long seed) {
    Random rnd = new Random(seed);
    Calibration c = new Calibration(spec.fieldCount(), n);
    FeatureVector v = spec.newFeatureVector();
    for (int r = 0; r < n; r++) {
      for (int f = 0; f < spec.fieldCount(); f++) {
        FieldSpec fs = spec.field(f);
        if (fs.isLookup()) {
          int rows = fs.rows();
          int idx = (int) Math.min(rows - 1, Math.floor(Math.pow(rows, rnd.nextDouble()) - 1));
          v.set(f, idx, 1f);
        } else {
          v.set(f, 0, (float) (rnd.nextGaussian() * 0.5 + 1));
        }
      }
      c.add(v, rnd.nextBoolean() ? 1f : 0f);
    }
    return c;
  }

  /** Logits of the core's reference scorer for rows [0, n). */
  public static float[] referenceLogits(CtrModel m, Calibration c, int n) {
    FeatureVector v = m.spec().newFeatureVector();
    float[] out = new float[n];
    for (int r = 0; r < n; r++) {
      for (int f = 0; f < c.fields(); f++) {
        v.set(f, c.index(r, f), c.value(r, f));
      }
      out[r] = m.referenceScorer().scoreLogit(v, v);
    }
    return out;
  }
}
