package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Checks the scorers against logits computed by numpy: {@code
 * src/test/resources/reference/forward_reference.py} writes {@code forward_cases.json} (tiny fixed
 * models for every architecture and low-rank layout, encoded inputs, expected logits).
 */
public class ReferenceScorerTest {
  private static final double ABS = 2e-6;
  private static final double REL = 1e-5;

  /** The numpy cases (also read by the ONNX exporter's tests). */
  public static JsonNode cases() throws IOException {
    try (InputStream in = ReferenceScorerTest.class.getResourceAsStream("/reference/forward_cases.json")) {
      assertThat(in).as("forward_cases.json on the test classpath").isNotNull();
      return new ObjectMapper().readTree(in);
    }
  }

  /** The model of one case. */
  public static CtrModel model(JsonNode c) {
    ModelSpec spec = ModelSpec.fromJson(c.get("spec").toString());
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    c.get("tensors").fields().forEachRemaining(e -> {
      JsonNode shapeNode = e.getValue().get("shape");
      int[] shape = new int[shapeNode.size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = shapeNode.get(i).asInt();
      }
      JsonNode data = e.getValue().get("data");
      float[] d = new float[data.size()];
      for (int i = 0; i < d.length; i++) {
        d[i] = (float) data.get(i).asDouble();
      }
      tensors.put(e.getKey(), new Tensor(e.getKey(), shape, d));
    });
    return CtrModel.create(spec, spec.name(), 1, tensors, Map.of(), Map.of());
  }

  /** One encoded vector of a case: [indices, values]. */
  public static FeatureVector vector(JsonNode v) {
    FeatureVector fv = new FeatureVector(v.get(0).size());
    for (int i = 0; i < fv.size(); i++) {
      fv.set(i, v.get(0).get(i).asInt(), (float) v.get(1).get(i).asDouble());
    }
    return fv;
  }

  @Test
  void shouldMatchNumpyLogitsForEveryArchitecture() throws IOException {
    JsonNode cases = cases().get("cases");
    assertThat(cases.size()).isGreaterThanOrEqualTo(6);
    for (JsonNode c : cases) {
      CtrModel m = model(c);
      FeatureVector ctx = vector(c.get("context"));
      JsonNode cands = c.get("candidates");
      FeatureVector[] fvs = new FeatureVector[cands.size()];
      for (int i = 0; i < fvs.length; i++) {
        fvs[i] = vector(cands.get(i));
      }
      float[] batchRef = new float[fvs.length];
      float[] batchFast = new float[fvs.length];
      m.referenceScorer().scoreLogitsBatch(ctx, fvs, fvs.length, batchRef);
      m.scorer().scoreLogitsBatch(ctx, fvs, fvs.length, batchFast);
      for (int i = 0; i < fvs.length; i++) {
        double expected = c.get("logits").get(i).asDouble();
        double tol = ABS + REL * Math.abs(expected);
        String what = c.get("spec").get("name").asText() + " candidate " + i;
        assertThat((double) m.referenceScorer().scoreLogit(ctx, fvs[i])).as(what).isCloseTo(expected, within(tol));
        assertThat((double) batchRef[i]).as(what + " (batch)").isCloseTo(expected, within(tol));
        assertThat((double) batchFast[i]).as(what + " (optimized)").isCloseTo(expected, within(tol));
        assertThat((double) m.scorer().score(ctx, fvs[i])).as(what + " pCTR")
            .isCloseTo(1 / (1 + Math.exp(-expected)), within(1e-6));
      }
    }
  }

  @Test
  void shouldBucketNumericValuesLikeNumpy() throws IOException {
    for (JsonNode b : cases().get("logBucket")) {
      assertThat(FeatureEncoder.logBucket(b.get("x").asDouble(), b.get("buckets").asInt()))
          .as("logBucket(%s)", b.get("x").asDouble())
          .isEqualTo(b.get("bucket").asInt());
    }
  }
}
