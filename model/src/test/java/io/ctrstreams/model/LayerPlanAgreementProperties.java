package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.internal.LayerPlan;
import io.ctrstreams.model.internal.MatMul;
import io.ctrstreams.model.internal.MatMuls;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The batch forward pass the trainer and the recompressor run ({@link LayerPlan}) agrees with the
 * reference scorer on the randomized specs of {@link ScorerAgreementProperties}, on every
 * in-JVM matrix-multiply provider. jqwik prints the failing seed and batch size.
 */
class LayerPlanAgreementProperties {
  /** Relative tolerance (other summation order than the reference), floor as in the scorer property. */
  private static final double REL = 1e-4;

  @Property(tries = 150)
  void planForwardShouldAgreeWithReference(@ForAll long seed, @ForAll @IntRange(min = 1, max = 33) int batch) {
    Random rnd = new Random(seed);
    ModelSpec spec = ScorerAgreementProperties.randomSpec(rnd);
    CtrModel model = CtrModel.random(spec, seed);
    FeatureVector ctx = ScorerAgreementProperties.randomVector(spec, rnd);
    FeatureVector[] cands = new FeatureVector[batch];
    int nf = spec.fieldCount();
    int[] index = new int[batch * nf];
    float[] value = new float[batch * nf];
    for (int r = 0; r < batch; r++) {
      cands[r] = ScorerAgreementProperties.randomVector(spec, rnd);
      for (int f = 0; f < nf; f++) {
        FeatureVector v = spec.field(f).role() == FieldSpec.Role.CONTEXT ? ctx : cands[r];
        index[r * nf + f] = v.index()[f];
        value[r * nf + f] = v.value()[f];
      }
    }
    LayerPlan.Rows rows = new LayerPlan.Rows() {
      @Override
      public int index(int r, int f) {
        return index[r * nf + f];
      }

      @Override
      public float value(int r, int f) {
        return value[r * nf + f];
      }
    };
    float[] ref = new float[batch];
    model.referenceScorer().scoreLogitsBatch(ctx, cands, batch, ref);
    double scale = 1;
    for (float r : ref) {
      scale += Math.abs(r) / batch;
    }
    LayerPlan plan = LayerPlan.of(model.graph());
    for (MatMul mm : new MatMul[] {MatMuls.java(), MatMuls.get()}) {
      LayerPlan.Activations a = new LayerPlan.Activations(plan, batch);
      plan.forward(mm, rows, 0, batch, a);
      for (int i = 0; i < batch; i++) {
        assertThat((double) a.logits[i]).as("example %d of %d, %s, %s", i, batch, mm.describe(), spec)
            .isCloseTo(ref[i], within(REL * Math.max(Math.abs(ref[i]), scale)));
      }
    }
  }
}
