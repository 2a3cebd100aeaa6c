package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.model.format.ModelFile;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The checked-in model {@code fixtures/model-v1/dcnv2-lowrank.ctrm} (a real spec and weights,
 * written once by {@link ModelFixtureGenerator} before spec JSON had a version field) must keep
 * loading through {@link CtrModel#fromFile} and scoring the fixed inputs below to exactly these
 * logits. It guards what the container fixture ({@code CtrmV1FixtureTest}) cannot: a change to
 * the spec JSON, the tensor names or the forward pass that would break the models already held
 * in compacted topics. The logits were computed once with the code of that commit and
 * cross-checked with numpy ({@code check_logits.py} next to the fixture). If this test fails,
 * the change broke compatibility or scores; never "fix" it by regenerating the fixture or
 * editing the literals.
 */
public class ModelFixtureTest {
  /** The fixture's class path resource (also exported by the ONNX exporter's tests). */
  public static final String RESOURCE = "/fixtures/model-v1/" + ModelFixtureGenerator.FILE_NAME;
  private static final String SHA256 = "724652fa5c39eb13cb47aa6ae79f50b19e651cb3f457e6e64f70f034179f4994";

  /** Reference scorer logits of {@link #candidates()}, as float bits. */
  private static final float[] REFERENCE_LOGITS = {0x1.3406cp-5f, 0x1.cef968p-6f, 0x1.810ccp-6f};
  /** Optimized scorer (plain Java kernels) logits: other summation order, last bit differs once. */
  private static final float[] OPTIMIZED_LOGITS = {0x1.3406cp-5f, 0x1.cef968p-6f, 0x1.810cc2p-6f};

  private static byte[] bytes;
  private static CtrModel model;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = ModelFixtureTest.class.getResourceAsStream(RESOURCE)) {
      assertThat(in).as("fixture %s on the test classpath", RESOURCE).isNotNull();
      bytes = in.readAllBytes();
    }
    model = CtrModel.fromFile(CtrmFormat.read(bytes));
  }

  /** Context fields: site (vocabulary rows 0-2, OOV rows 3-4) and age (LOG_BUCKET rows 0-9). */
  public static FeatureVector context() {
    return new FeatureVector(4).set(0, 1, 1f).set(1, 7, 1f);
  }

  /** Candidate fields: ad (7 OOV rows, rank-3 override) and bid (SCALED: the value scales). */
  public static FeatureVector[] candidates() {
    return new FeatureVector[] {
      new FeatureVector(4).set(2, 0, 1f).set(3, 0, 0.75f),
      new FeatureVector(4).set(2, 4, 1f).set(3, 0, -2.5f),
      new FeatureVector(4).set(2, 6, 1f).set(3, 0, 0f),
    };
  }

  @Test
  void shouldBeTheFileThatWasCheckedIn() {
    assertThat(bytes).hasSize(3606);
    assertThat(CtrmFormat.sha256Hex(bytes)).isEqualTo(SHA256);
  }

  @Test
  void shouldLoadSpecWithoutVersionFieldAsVersion1() {
    ModelFile file = CtrmFormat.read(bytes);
    assertThat(file.specJson()).startsWith("{\"name\":\"fixture-dcnv2\",").doesNotContain("specVersion");
    assertThat(model.spec()).isEqualTo(ModelFixtureGenerator.spec());
    assertThat(model.spec().toJson()).startsWith("{\"specVersion\":1,\"name\":\"fixture-dcnv2\",");
  }

  @Test
  void shouldLoadNameVersionMetadataAndVocabulary() {
    assertThat(model.name()).isEqualTo("fixture-dcnv2");
    assertThat(model.version()).isEqualTo(3L);
    assertThat(model.metadata()).containsOnly(
        Map.entry("created-by", "ModelFixtureGenerator"), Map.entry("seed", "20261202"));
    assertThat(model.vocabularies()).containsExactly(Map.entry("site", List.of("site:0", "site:1", "site:2")));
    assertThat(model.tensors()).extracting(Tensor::name).containsExactly(
        "emb/site/table", "emb/site/proj", "emb/site/bias",
        "emb/age/table", "emb/age/proj", "emb/age/bias",
        "emb/ad/table", "emb/ad/proj", "emb/ad/bias",
        "emb/bid",
        "mlp/0/v", "mlp/0/c", "mlp/0/u", "mlp/0/d",
        "mlp/1/w", "mlp/1/b",
        "cross/0/v", "cross/0/c", "cross/0/u", "cross/0/b",
        "cross/1/w", "cross/1/b",
        "out/w", "out/b");
    assertThat(model.parameterCount()).isEqualTo(465L);
  }

  @Test
  void shouldScoreFixedInputsToFixedLogitsWithTheReferenceScorer() {
    assertLogits(model.referenceScorer(), REFERENCE_LOGITS, "reference");
  }

  @Test
  void shouldScoreFixedInputsToFixedLogitsWithTheOptimizedScorer() {
    assertLogits(model.scorer(), OPTIMIZED_LOGITS, "optimized");
  }

  /** One candidate at a time and as one batch, to the exact float bits. */
  private static void assertLogits(Scorer scorer, float[] expected, String what) {
    FeatureVector[] c = candidates();
    float[] single = new float[c.length];
    for (int i = 0; i < c.length; i++) {
      single[i] = scorer.scoreLogit(context(), c[i]);
    }
    float[] batch = new float[c.length];
    scorer.scoreLogitsBatch(context(), c, c.length, batch);
    assertBits(single, expected, what + " scoreLogit");
    assertBits(batch, expected, what + " scoreLogitsBatch");
  }

  private static void assertBits(float[] actual, float[] expected, String what) {
    int[] a = new int[actual.length];
    int[] e = new int[expected.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = Float.floatToRawIntBits(actual[i]);
    }
    for (int i = 0; i < e.length; i++) {
      e[i] = Float.floatToRawIntBits(expected[i]);
    }
    assertThat(a).as("%s bits of %s", what, java.util.Arrays.toString(actual)).isEqualTo(e);
  }
}
