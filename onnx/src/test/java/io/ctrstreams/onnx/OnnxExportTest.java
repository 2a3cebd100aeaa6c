package io.ctrstreams.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
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

  /** ORT's logits and pCTRs of the first {@code n} candidates equal the scorer's within {@link #TOL}. */
  static void assertAgrees(CtrModel m, FeatureVector ctx, FeatureVector[] cands, int n) throws OrtException {
    float[] expected = new float[n];
    m.scorer().scoreLogitsBatch(ctx, cands, n, expected);
    try (OrtRun ort = new OrtRun(OnnxExport.toBytes(m), m.spec())) {
      float[] logits = ort.run(ctx, cands, n, OnnxExport.LOGIT);
      float[] pctr = ort.run(ctx, cands, n, OnnxExport.PCTR);
      assertThat(logits).as("%s: logits of %d candidates", m.name(), n).hasSize(n);
      for (int i = 0; i < n; i++) {
        assertThat((double) logits[i]).as("%s candidate %d logit", m.name(), i)
            .isCloseTo(expected[i], within(TOL * Math.max(1, Math.abs(expected[i]))));
        assertThat((double) pctr[i]).as("%s candidate %d pCTR", m.name(), i)
            .isCloseTo(io.ctrstreams.model.Scorer.sigmoid(expected[i]), within(TOL));
      }
    }
  }
}
