package io.ctrstreams.model.format;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Calibration;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.ModelFixtureTest;
import io.ctrstreams.model.Scorer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The checked-in format-version-2 files (the model-v1 fixture's DCN-V2 with a Platt and with an
 * isotonic calibration record, written once by {@link CtrmV2FixtureGenerator}) must keep loading,
 * with exactly these maps, and scoring the fixed inputs to exactly these pCTRs, in every future
 * version of the reader and scorer. The pCTRs were cross-checked with numpy ({@code
 * check_pctr.py} next to the fixtures). If this test fails, the change broke compatibility;
 * never "fix" it by regenerating the fixtures or editing the literals.
 */
class CtrmV2FixtureTest {
  private static final String DIR = "/fixtures/ctrm-v2/";
  private static final String PLATT_SHA256 = "9cc223f85046929ec10b1a03a75d3c0bb571742e73fd63baaf3b63b66aef4c5b";
  private static final String ISOTONIC_SHA256 = "c871cf30c6f97d76a407ef41cba151a4226faed0a55bfd869182e3f2843d44a6";
  /** pCTRs of ModelFixtureTest's candidates, every scorer and path (single, batch, reference). */
  private static final float[] PLATT_PCTR = {0x1.7e4c76p-3f, 0x1.7c1fe8p-3f, 0x1.7b0586p-3f};
  private static final float[] ISOTONIC_PCTR = {0x1.99999ap-5f, 0x1.43f676p-5f, 0x1.4770c4p-6f};

  private static byte[] platt;
  private static byte[] isotonic;

  @BeforeAll
  static void load() throws IOException {
    platt = resource(CtrmV2FixtureGenerator.PLATT_FILE);
    isotonic = resource(CtrmV2FixtureGenerator.ISOTONIC_FILE);
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = CtrmV2FixtureTest.class.getResourceAsStream(DIR + name)) {
      assertThat(in).as("fixture %s on the test classpath", DIR + name).isNotNull();
      return in.readAllBytes();
    }
  }

  @Test
  void shouldBeTheFilesThatWereCheckedIn() {
    assertThat(platt).hasSize(3688);
    assertThat(CtrmFormat.sha256Hex(platt)).isEqualTo(PLATT_SHA256);
    assertThat(isotonic).hasSize(3759);
    assertThat(CtrmFormat.sha256Hex(isotonic)).isEqualTo(ISOTONIC_SHA256);
    for (byte[] b : new byte[][] {platt, isotonic}) {
      assertThat(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(CtrmTestFiles.VERSION_OFFSET)).isEqualTo(2);
      assertThat(CtrmFormat.inspect(b).formatVersion()).isEqualTo(2);
    }
  }

  @Test
  void shouldLoadThePlattMapExactly() {
    ModelFile f = CtrmFormat.read(platt);
    Calibration c = f.calibration();
    assertThat(c.kind()).isEqualTo(Calibration.Kind.PLATT);
    assertThat(c.a()).isEqualTo(0.75);
    assertThat(c.b()).isEqualTo(-1.5);
    assertThat(f.modelName()).isEqualTo("fixture-dcnv2");
    assertThat(f.modelVersion()).isEqualTo(3L);
    assertThat(f.metadata()).containsExactly(Map.entry("created-by", "ModelFixtureGenerator"),
        Map.entry("seed", "20261202"), Map.entry("fixture", "CtrmV2FixtureGenerator"), Map.entry("calibration", "platt"));
  }

  @Test
  void shouldLoadTheIsotonicMapExactly() {
    Calibration c = CtrmFormat.read(isotonic).calibration();
    assertThat(c.kind()).isEqualTo(Calibration.Kind.ISOTONIC);
    assertThat(c.knotLogits()).containsExactly(-1.0, 0.025, 0.03, 0.04, 0.5);
    assertThat(c.knotProbabilities()).containsExactly(0.01, 0.02, 0.05, 0.05, 0.3);
    // constant beyond the ends, the knots themselves, linear in between
    assertThat(c.apply(-7.0)).isEqualTo(0.01);
    assertThat(c.apply(9.0)).isEqualTo(0.3);
    assertThat(c.apply(0.03)).isEqualTo(0.05);
    assertThat(c.apply(0.27)).isCloseTo(0.175, org.assertj.core.data.Offset.offset(1e-15));
  }

  @Test
  void shouldScoreTheFixedInputsToTheFixedCalibratedPctrs() {
    assertPctrs(CtrModel.fromFile(CtrmFormat.read(platt)), PLATT_PCTR, "platt");
    assertPctrs(CtrModel.fromFile(CtrmFormat.read(isotonic)), ISOTONIC_PCTR, "isotonic");
  }

  @Test
  void shouldLeaveTheLogitsOfTheUncalibratedModelUnchanged() throws IOException {
    // the map changes pCTRs only: logits stay those of fixtures/model-v1 (ModelFixtureTest)
    float[] v1;
    try (InputStream in = ModelFixtureTest.class.getResourceAsStream(ModelFixtureTest.RESOURCE)) {
      v1 = logits(CtrModel.fromFile(CtrmFormat.read(in.readAllBytes())));
    }
    assertThat(logits(CtrModel.fromFile(CtrmFormat.read(platt)))).isEqualTo(v1);
    assertThat(logits(CtrModel.fromFile(CtrmFormat.read(isotonic)))).isEqualTo(v1);
  }

  @Test
  void shouldReEncodeByteForByte() {
    assertThat(CtrmFormat.toBytes(CtrmFormat.read(platt))).isEqualTo(platt);
    assertThat(CtrmFormat.toBytes(CtrmFormat.read(isotonic))).isEqualTo(isotonic);
    assertThat(CtrmFormat.toBytes(CtrmV2FixtureGenerator.content(CtrmV2FixtureGenerator.platt()))).isEqualTo(platt);
    assertThat(CtrmFormat.toBytes(CtrmV2FixtureGenerator.content(CtrmV2FixtureGenerator.isotonic())))
        .isEqualTo(isotonic);
  }

  @Test
  void shouldBeTheVersion1FileWithTheRecordAdded() {
    // without its map, the content is written as version 1: the v2 file is that file with the
    // calibration record inserted before the footer (and another version field and digest)
    for (byte[] v2 : new byte[][] {platt, isotonic}) {
      ModelFile f = CtrmFormat.read(v2);
      byte[] v1 = CtrmFormat.toBytes(f.withCalibration(Calibration.none()));
      assertThat(ByteBuffer.wrap(v1).order(ByteOrder.LITTLE_ENDIAN).getInt(CtrmTestFiles.VERSION_OFFSET)).isEqualTo(1);
      int record = f.calibration().kind() == Calibration.Kind.PLATT ? 1 + 16 + 4 : 1 + 4 + 5 * 16 + 4;
      assertThat(v2.length).isEqualTo(v1.length + record);
      // same header fields (its CRC32C covers the version field too) and same records after it
      int crcAt = headerCrcOffset(f);
      int body = v1.length - CtrmFormat.FOOTER_LENGTH;
      assertThat(Arrays.copyOfRange(v2, CtrmTestFiles.VERSION_OFFSET + 4, crcAt))
          .isEqualTo(Arrays.copyOfRange(v1, CtrmTestFiles.VERSION_OFFSET + 4, crcAt));
      assertThat(Arrays.copyOfRange(v2, crcAt + 4, body)).isEqualTo(Arrays.copyOfRange(v1, crcAt + 4, body));
    }
  }

  /** Offset of the header's CRC32C (layout in {@link CtrmFormat}). */
  private static int headerCrcOffset(ModelFile f) {
    int n = CtrmTestFiles.VERSION_OFFSET + 4 + utf8(f.modelName()) + 8 + utf8(f.specJson()) + 4;
    for (Map.Entry<String, String> e : f.metadata().entrySet()) {
      n += utf8(e.getKey()) + utf8(e.getValue());
    }
    return n + 4 + 4;
  }

  private static int utf8(String s) {
    return 4 + s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  private static float[] logits(CtrModel m) {
    FeatureVector[] c = ModelFixtureTest.candidates();
    float[] out = new float[c.length];
    m.scorer().scoreLogitsBatch(ModelFixtureTest.context(), c, c.length, out);
    return out;
  }

  private static void assertPctrs(CtrModel m, float[] expected, String what) {
    FeatureVector ctx = ModelFixtureTest.context();
    FeatureVector[] c = ModelFixtureTest.candidates();
    float[] batch = new float[c.length];
    m.scorer().scoreBatch(ctx, c, c.length, batch);
    assertBits(batch, expected, what + " scoreBatch");
    for (Scorer s : new Scorer[] {m.scorer(), m.referenceScorer()}) {
      float[] single = new float[c.length];
      for (int i = 0; i < c.length; i++) {
        single[i] = s.score(ctx, c[i]);
      }
      assertBits(single, expected, what + " " + s.getClass().getSimpleName() + ".score");
    }
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
    assertThat(a).as("%s bits of %s", what, Arrays.toString(actual)).isEqualTo(e);
  }
}
