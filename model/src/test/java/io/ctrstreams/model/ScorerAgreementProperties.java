package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.FieldSpec.Role;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The optimized scorer agrees with the reference scorer on randomized specs: every architecture,
 * odd sizes (dims 1..37), random roles and field types, 0..3 cross layers in both structures,
 * random low-rank layouts (folded or not, per-field ranks, ReLU between factors), batches 1..33.
 * jqwik prints the failing seed and batch size.
 */
public class ScorerAgreementProperties {
  /** Relative tolerance, with an absolute floor of REL * scale where scale = 1 + mean |logit|. */
  private static final double REL = 1e-5;

  @Property(tries = 250)
  void optimizedScorerShouldAgreeWithReference(@ForAll long seed, @ForAll @IntRange(min = 1, max = 33) int batch) {
    Random rnd = new Random(seed);
    ModelSpec spec = randomSpec(rnd);
    CtrModel model = CtrModel.random(spec, seed);
    FeatureVector ctx = randomVector(spec, rnd);
    FeatureVector[] cands = new FeatureVector[batch + rnd.nextInt(3)];
    for (int i = 0; i < cands.length; i++) {
      cands[i] = randomVector(spec, rnd);
    }
    float[] fast = new float[batch];
    float[] ref = new float[batch];
    model.scorer().scoreLogitsBatch(ctx, cands, batch, fast);
    model.referenceScorer().scoreLogitsBatch(ctx, cands, batch, ref);
    double scale = 1;
    for (float r : ref) {
      scale += Math.abs(r) / batch;
    }
    for (int i = 0; i < batch; i++) {
      double tol = REL * Math.max(Math.abs(ref[i]), scale);
      assertThat((double) fast[i]).as("candidate %d of %d, %s", i, batch, spec).isCloseTo(ref[i],
          org.assertj.core.api.Assertions.within(tol));
      assertThat(Float.isFinite(fast[i])).isTrue();
    }
    assertThat((double) model.scorer().scoreLogit(ctx, cands[0]))
        .isCloseTo(ref[0], org.assertj.core.api.Assertions.within(REL * Math.max(Math.abs(ref[0]), scale)));
  }

  /** A random spec (also used by the ONNX exporter's properties). */
  public static ModelSpec randomSpec(Random rnd) {
    Architecture arch = Architecture.values()[rnd.nextInt(3)];
    int nf = 1 + rnd.nextInt(6);
    int fmDim = 1 + rnd.nextInt(37);
    ModelSpec.Builder b = ModelSpec.builder().name("rnd").architecture(arch);
    int minLookupDim = Integer.MAX_VALUE;
    for (int f = 0; f < nf; f++) {
      Role role = rnd.nextBoolean() ? Role.CONTEXT : Role.CANDIDATE;
      int dim = arch == Architecture.DEEPFM ? fmDim : 1 + rnd.nextInt(37);
      int kind = rnd.nextInt(4);
      FieldSpec fs;
      if (kind == 0) {
        fs = FieldSpec.scaled("f" + f, role, dim);
      } else if (kind == 1) {
        fs = FieldSpec.logBucket("f" + f, role, 1 + rnd.nextInt(30), dim);
      } else {
        fs = FieldSpec.categorical("f" + f, role, rnd.nextInt(5), 1 + rnd.nextInt(40), dim);
        minLookupDim = Math.min(minLookupDim, dim);
      }
      if (kind == 1) {
        minLookupDim = Math.min(minLookupDim, dim);
      }
      b.field(fs);
    }
    int layers = rnd.nextInt(4);
    int[] mlp = new int[layers];
    for (int i = 0; i < layers; i++) {
      mlp[i] = 1 + rnd.nextInt(37);
    }
    b.mlp(mlp);
    int cross = arch == Architecture.DCNV2 ? rnd.nextInt(4) : 0;
    b.crossLayers(cross).crossStructure(rnd.nextBoolean() ? CrossStructure.STACKED : CrossStructure.PARALLEL);
    if (rnd.nextInt(4) > 0) {
      ModelSpec dense = b.build();
      int embRank = minLookupDim == Integer.MAX_VALUE ? 0 : rnd.nextInt(minLookupDim + 1);
      boolean fold = arch == Architecture.DNN && layers > 0 && rnd.nextBoolean();
      Map<String, Integer> overrides = new HashMap<>();
      for (FieldSpec f : dense.fields()) {
        if (f.isLookup() && rnd.nextInt(3) == 0) {
          overrides.put(f.name(), rnd.nextInt(f.embeddingDim() + 1));
        }
      }
      ModelSpec withEmb = b.lowRank(new LowRankConfig(embRank, fold, null, null, false, overrides)).build();
      int[] mlpRanks = new int[layers];
      int in = withEmb.firstLayerInputWidth();
      for (int i = 0; i < layers; i++) {
        mlpRanks[i] = rnd.nextBoolean() ? 0 : 1 + rnd.nextInt(Math.min(in, mlp[i]));
        in = mlp[i];
      }
      int[] crossRanks = new int[cross];
      for (int i = 0; i < cross; i++) {
        crossRanks[i] = rnd.nextBoolean() ? 0 : 1 + rnd.nextInt(dense.embeddingWidth());
      }
      b.lowRank(new LowRankConfig(embRank, fold, mlpRanks, crossRanks, rnd.nextBoolean(), overrides));
    }
    return b.build();
  }

  /** A random encoded vector with every field set. */
  public static FeatureVector randomVector(ModelSpec spec, Random rnd) {
    FeatureVector v = spec.newFeatureVector();
    for (int f = 0; f < spec.fieldCount(); f++) {
      FieldSpec fs = spec.field(f);
      if (fs.isLookup()) {
        v.set(f, rnd.nextInt(fs.rows()), 1f);
      } else {
        v.set(f, 0, (float) (rnd.nextGaussian() * 2));
      }
    }
    return v;
  }
}
