package io.ctrstreams.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
import io.ctrstreams.model.Calibration;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.FieldSpec.Role;
import io.ctrstreams.model.ModelFixtureTest;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.ReferenceScorerTest;
import io.ctrstreams.model.format.CtrmFormat;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every exported graph, run in ONNX Runtime, gives the logits and pCTRs of {@link
 * CtrModel#scorer()} within 1e-5: the numpy reference cases (every architecture and low-rank
 * layout: dense, folded, unfolded, factor ReLU, no MLP, DeepFM, DCN-V2 stacked and parallel) and
 * the checked-in DCN-V2 low-rank model fixture.
 */
class OnnxExportTest {
  static final double TOL = 1e-5;

  @Test
  void shouldScoreTheNumpyCasesLikeTheScorer() throws IOException, OrtException {
    JsonNode cases = ReferenceScorerTest.cases().get("cases");
    assertThat(cases.size()).isGreaterThanOrEqualTo(8);
    for (JsonNode c : cases) {
      CtrModel m = ReferenceScorerTest.model(c);
      FeatureVector ctx = ReferenceScorerTest.vector(c.get("context"));
      JsonNode cn = c.get("candidates");
      FeatureVector[] cands = new FeatureVector[cn.size()];
      for (int i = 0; i < cands.length; i++) {
        cands[i] = ReferenceScorerTest.vector(cn.get(i));
      }
      assertAgrees(m, ctx, cands, cands.length);
      assertAgrees(m, ctx, cands, 1);
    }
  }

  @Test
  void shouldScoreTheCheckedInModelFixtureLikeTheScorer() throws IOException, OrtException {
    CtrModel m;
    try (InputStream in = ModelFixtureTest.class.getResourceAsStream(ModelFixtureTest.RESOURCE)) {
      assertThat(in).isNotNull();
      m = CtrModel.fromFile(CtrmFormat.read(in.readAllBytes()));
    }
    FeatureVector[] cands = ModelFixtureTest.candidates();
    assertAgrees(m, ModelFixtureTest.context(), cands, cands.length);
  }

  @Test
  void shouldApplyTheCalibrationMapsOfTheCheckedInVersion2Fixtures() throws IOException, OrtException {
    for (String name : new String[] {"dcnv2-platt.ctrm", "dcnv2-isotonic.ctrm"}) {
      CtrModel m;
      try (InputStream in = ModelFixtureTest.class.getResourceAsStream("/fixtures/ctrm-v2/" + name)) {
        assertThat(in).as(name).isNotNull();
        m = CtrModel.fromFile(CtrmFormat.read(in.readAllBytes()));
      }
      assertThat(m.calibration().kind()).isNotEqualTo(Calibration.Kind.NONE);
      FeatureVector[] cands = ModelFixtureTest.candidates();
      assertAgrees(m, ModelFixtureTest.context(), cands, cands.length);
      try (OrtRun ort = new OrtRun(OnnxExport.toBytes(m), m.spec())) {
        assertThat(ort.session().getMetadata().getCustomMetadata()).containsEntry("ctr.calibration",
            m.calibration().toString());
      }
    }
  }

  @Test
  void shouldApplyPlattAndIsotonicMapsFittedOnTheScorersLogits() throws IOException, OrtException {
    // every numpy case, calibrated with maps fitted on its own logits of random rows (isotonic
    // knots sit exactly on logits, so candidates hit knots, segments and both clamped ends)
    java.util.Random rnd = new java.util.Random(19);
    for (JsonNode c : ReferenceScorerTest.cases().get("cases")) {
      CtrModel m = ReferenceScorerTest.model(c);
      FeatureVector ctx = ReferenceScorerTest.vector(c.get("context"));
      int rows = 40;
      FeatureVector[] cands = new FeatureVector[rows];
      float[] logits = new float[rows];
      for (int i = 0; i < rows; i++) {
        cands[i] = io.ctrstreams.model.ScorerAgreementProperties.randomVector(m.spec(), rnd);
      }
      m.scorer().scoreLogitsBatch(ctx, cands, rows, logits);
      // fit on the first half with labels drawn from a shifted sigmoid; score all rows
      double[] z = new double[rows / 2];
      boolean[] y = new boolean[rows / 2];
      for (int i = 0; i < z.length; i++) {
        z[i] = logits[i];
        y[i] = rnd.nextDouble() < io.ctrstreams.model.Scorer.sigmoid(2 * logits[i] - 1);
      }
      y[0] = true;
      y[1] = false;
      for (Calibration cal : new Calibration[] {Calibration.fitPlatt(z, y), Calibration.fitIsotonic(z, y),
          Calibration.platt(3.5, 0.75), Calibration.isotonic(new double[] {logits[2]}, new double[] {0.125})}) {
        assertThat(cal.kind()).isNotEqualTo(Calibration.Kind.NONE);
        assertAgrees(m.withCalibration(cal), ctx, cands, rows);
        assertAgrees(m.withCalibration(cal), ctx, cands, 1);
      }
    }
  }

  @Test
  void shouldDescribeInputsInTheMetadata() throws OrtException {
    ModelSpec spec = ModelSpec.builder().name("meta").architecture(io.ctrstreams.model.Architecture.DNN).mlp(3)
        .field(FieldSpec.categorical("user", Role.CONTEXT, 0, 5, 2))
        .field(FieldSpec.scaled("price", Role.CANDIDATE, 2))
        .field(FieldSpec.categorical("ad", Role.CANDIDATE, 0, 7, 2)).build();
    CtrModel m = CtrModel.random(spec, 3);
    try (OrtRun ort = new OrtRun(OnnxExport.toBytes(m), spec)) {
      Map<String, String> meta = ort.session().getMetadata().getCustomMetadata();
      assertThat(meta).containsEntry("context_index.fields", "user").containsEntry("candidate_index.fields", "ad")
          .containsEntry("candidate_value.fields", "price").containsEntry("ctr.model.name", "meta");
      assertThat(ort.session().getInputNames())
          .containsExactlyInAnyOrder(OnnxExport.CONTEXT_INDEX, OnnxExport.CANDIDATE_INDEX, OnnxExport.CANDIDATE_VALUE);
      assertThat(ort.session().getOutputNames()).containsExactly(OnnxExport.LOGIT, OnnxExport.PCTR);
    }
  }

  @Test
  void shouldRejectAModelWithoutCandidateFields() {
    ModelSpec spec = ModelSpec.builder().name("ctx-only").architecture(io.ctrstreams.model.Architecture.DNN)
        .mlp(3).field(FieldSpec.categorical("user", Role.CONTEXT, 0, 5, 2)).build();
    assertThatThrownBy(() -> OnnxExport.toBytes(CtrModel.random(spec, 1)))
        .isInstanceOf(OnnxExportException.class).hasMessageContaining("ctx-only has no CANDIDATE field");
  }

  /**
   * ORT's logits and pCTRs of the first {@code n} candidates equal the scorer's within {@link
   * #TOL}. The pCTR is the model's calibration map of the logit, so ORT's pCTR may differ from
   * the scorer's by the map's steepest slope times the logits' difference on top of {@link #TOL}
   * (an isotonic map fitted on few rows can be steep between two close knots); ORT's pCTR of its
   * own logit is checked against {@link Calibration#apply} within 1e-6.
   */
  static void assertAgrees(CtrModel m, FeatureVector ctx, FeatureVector[] cands, int n) throws OrtException {
    float[] expected = new float[n];
    float[] expectedPctr = new float[n];
    m.scorer().scoreLogitsBatch(ctx, cands, n, expected);
    m.scorer().scoreBatch(ctx, cands, n, expectedPctr);
    Calibration c = m.calibration();
    double slope = maxSlope(c);
    try (OrtRun ort = new OrtRun(OnnxExport.toBytes(m), m.spec())) {
      float[] logits = ort.run(ctx, cands, n, OnnxExport.LOGIT);
      float[] pctr = ort.run(ctx, cands, n, OnnxExport.PCTR);
      assertThat(logits).as("%s: logits of %d candidates", m.name(), n).hasSize(n);
      for (int i = 0; i < n; i++) {
        assertThat((double) logits[i]).as("%s candidate %d logit", m.name(), i)
            .isCloseTo(expected[i], within(TOL * Math.max(1, Math.abs(expected[i]))));
        assertThat((double) pctr[i]).as("%s (%s) candidate %d pCTR of ORT's logit %s", m.name(), c, i, logits[i])
            .isCloseTo(c.apply((double) logits[i]), within(1e-6));
        assertThat((double) pctr[i]).as("%s (%s) candidate %d pCTR", m.name(), c, i)
            .isCloseTo(expectedPctr[i], within(TOL + slope * Math.abs(logits[i] - expected[i])));
      }
    }
  }

  /** The largest d pCTR / d logit of {@code c}. */
  static double maxSlope(Calibration c) {
    switch (c.kind()) {
      case PLATT:
        return c.a() / 4;
      case ISOTONIC:
        double[] x = c.knotLogits();
        double[] y = c.knotProbabilities();
        double s = 0;
        for (int i = 1; i < x.length; i++) {
          s = Math.max(s, (y[i] - y[i - 1]) / (x[i] - x[i - 1]));
        }
        return s;
      default:
        return 0.25;
    }
  }
}
