package io.ctrstreams.onnx;

import ai.onnxruntime.OrtException;
import io.ctrstreams.model.Calibration;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.ScorerAgreementProperties;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Exported graphs agree with the scorer on the randomized specs of the scorer's own agreement
 * property: every architecture, odd sizes, random roles and field types (SCALED, LOG_BUCKET,
 * categorical), 0..3 cross layers stacked or parallel, empty MLPs, random low-rank layouts
 * (folded or not, per-field rank overrides, ReLU between factors), batches 1..33. Specs without
 * a candidate field are not exportable and skipped.
 */
class OnnxExportProperties {
  @Property(tries = 120)
  void exportedGraphShouldScoreLikeTheScorer(@ForAll long seed, @ForAll @IntRange(min = 1, max = 33) int batch)
      throws OrtException {
    Random rnd = new Random(seed);
    ModelSpec spec = ScorerAgreementProperties.randomSpec(rnd);
    Assume.that(spec.fieldsWithRole(FieldSpec.Role.CANDIDATE).length > 0);
    CtrModel model = CtrModel.random(spec, seed);
    FeatureVector ctx = ScorerAgreementProperties.randomVector(spec, rnd);
    FeatureVector[] cands = new FeatureVector[batch];
    for (int i = 0; i < batch; i++) {
      cands[i] = ScorerAgreementProperties.randomVector(spec, rnd);
    }
    OnnxExportTest.assertAgrees(model, ctx, cands, batch);
  }

  /**
   * The same with the model's pCTR calibrated: a Platt map, or an isotonic map fitted on the
   * logits of random rows (knots on logits, flat stretches, candidates beyond both ends).
   */
  @Property(tries = 60)
  void exportedGraphShouldCalibrateLikeTheScorer(@ForAll long seed, @ForAll @IntRange(min = 1, max = 33) int batch,
      @ForAll boolean isotonic) throws OrtException {
    Random rnd = new Random(seed);
    ModelSpec spec = ScorerAgreementProperties.randomSpec(rnd);
    Assume.that(spec.fieldsWithRole(FieldSpec.Role.CANDIDATE).length > 0);
    CtrModel model = CtrModel.random(spec, seed);
    FeatureVector ctx = ScorerAgreementProperties.randomVector(spec, rnd);
    FeatureVector[] cands = new FeatureVector[batch];
    for (int i = 0; i < batch; i++) {
      cands[i] = ScorerAgreementProperties.randomVector(spec, rnd);
    }
    Calibration c;
    if (isotonic) {
      int rows = 1 + rnd.nextInt(50);
      double[] z = new double[rows];
      boolean[] y = new boolean[rows];
      for (int i = 0; i < rows; i++) {
        z[i] = model.scorer().scoreLogit(ctx, ScorerAgreementProperties.randomVector(spec, rnd));
        y[i] = rnd.nextBoolean();
      }
      c = Calibration.fitIsotonic(z, y);
    } else {
      c = Calibration.platt(0.05 + 4 * rnd.nextDouble(), 6 * rnd.nextDouble() - 3);
    }
    OnnxExportTest.assertAgrees(model.withCalibration(c), ctx, cands, batch);
  }
}
