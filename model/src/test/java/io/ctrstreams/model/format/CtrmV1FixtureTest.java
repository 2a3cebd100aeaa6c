package io.ctrstreams.model.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ctrstreams.model.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The checked-in format-version-1 file must keep loading, with exactly these values, in every
 * future version of the reader (Lucene back-compat indexes, Tribuo's 4.3.1 model fixtures). The
 * expectations are hard-coded: if this test fails, the reader broke compatibility; never
 * "fix" it by regenerating the fixture.
 */
class CtrmV1FixtureTest {
  private static final String RESOURCE = "/fixtures/ctrm-v1/" + CtrmV1FixtureGenerator.FILE_NAME;
  private static final String SHA256 = "66ab113088f1426c8905948d8461202843b6c9c0544b228d1586ebd8e1ff8d52";

  private static byte[] bytes;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = CtrmV1FixtureTest.class.getResourceAsStream(RESOURCE)) {
      assertThat(in).as("fixture %s on the test classpath", RESOURCE).isNotNull();
      bytes = in.readAllBytes();
    }
  }

  @Test
  void shouldBeTheFileThatWasCheckedIn() {
    assertThat(bytes).hasSize(873);
    assertThat(CtrmFormat.sha256Hex(bytes)).isEqualTo(SHA256);
    ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(new String(bytes, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("CTRM");
    assertThat(bb.getInt(CtrmTestFiles.VERSION_OFFSET)).isEqualTo(1);
    assertThat(new String(bytes, bytes.length - 4, 4, StandardCharsets.US_ASCII)).isEqualTo("MRTC");
  }

  @Test
  void shouldLoadHeaderMetadataAndStringTables() {
    ModelFile file = CtrmFormat.read(bytes);
    assertThat(file.modelName()).isEqualTo("tiny-dnn");
    assertThat(file.modelVersion()).isEqualTo(7L);
    // repeated here, not taken from the generator: the fixture's content is fixed
    assertThat(file.specJson()).isEqualTo(
        "{\"type\":\"dnn\",\"name\":\"tiny-dnn\",\"fields\":["
            + "{\"name\":\"C1\",\"kind\":\"categorical\",\"vocab\":\"vocab/C1\",\"embeddingDim\":4},"
            + "{\"name\":\"I1\",\"kind\":\"numeric\",\"transform\":\"log1p\"}],"
            + "\"layers\":[{\"name\":\"dense0\",\"units\":3,\"rank\":2,\"activation\":\"relu\"},"
            + "{\"name\":\"out\",\"units\":1,\"activation\":\"sigmoid\"}]}");
    assertThat(file.metadata()).containsExactly(
        java.util.Map.entry("compressed-from", "tiny-dnn@3"),
        java.util.Map.entry("created-by", "CtrmV1FixtureGenerator"),
        java.util.Map.entry("note", "ünïcödé ✓ 𝄞"));
    assertThat(file.stringTables()).containsExactly(
        java.util.Map.entry("vocab/C1", List.of("", "68fd1e64", "05db9164", "ünï")),
        java.util.Map.entry("vocab/empty", List.of()));
  }

  @Test
  void shouldLoadExactTensorValuesOfEveryDtype() {
    ModelFile file = CtrmFormat.read(bytes);
    assertThat(file.tensors()).extracting(Tensor::name)
        .containsExactly("emb/C1", "dense0/u", "dense0/v", "dense0/b", "out/w", "out/b");
    // FLOAT32
    assertTensor(file, "emb/C1", new int[] {3, 4},
        -1f, -0.75f, -0.5f, -0.25f, 0f, 0.25f, 0.5f, 0.75f, 1f, 1.25f, 1.5f, 1.75f);
    assertTensor(file, "dense0/b", new int[] {3}, -0f, Float.MIN_VALUE, 0x1.edd2f2p6f);
    // INT8_ROW_SCALED: exact rows stay exact, the others are q * max/127
    assertTensor(file, "dense0/u", new int[] {5, 2},
        0x1.fcp-1f, -0.5f, 0f, 0f, -2f, 0x1.020408p0f, 0x1.fcp1f, -0x1.0p-5f,
        0x1.083548p-10f, -0x1.0624dep-9f);
    assertTensor(file, "out/b", new int[] {1}, -31.75f);
    // FLOAT16: 0.1 -> 0x1.998p-4, 1/3 -> 0x1.554p-2, 2^-24 is the smallest subnormal
    assertTensor(file, "dense0/v", new int[] {2, 3},
        0.5f, -1.25f, 1024f, 0x1.998p-4f, 0x1.554p-2f, 0x1.0p-24f);
    assertTensor(file, "out/w", new int[] {3, 1}, 65504f, -0.0009765625f, 2.5f);
  }

  @Test
  void shouldInspectDtypesAndSizesWithoutDecoding() {
    CtrmFileInfo info = CtrmFormat.inspect(bytes);
    assertThat(info.formatVersion()).isEqualTo(1);
    assertThat(info.modelName()).isEqualTo("tiny-dnn");
    assertThat(info.modelVersion()).isEqualTo(7L);
    assertThat(info.totalBytes()).isEqualTo(873);
    assertThat(info.sha256Hex()).isEqualTo(SHA256);
    assertThat(info.stringTableSizes()).containsExactly(
        java.util.Map.entry("vocab/C1", 4), java.util.Map.entry("vocab/empty", 0));
    assertThat(info.tensors()).extracting(t -> t.name() + " " + t.dtype() + " " + t.payloadBytes())
        .containsExactly(
            "emb/C1 FLOAT32 48",
            "dense0/u INT8_ROW_SCALED 30",
            "dense0/v FLOAT16 12",
            "dense0/b FLOAT32 12",
            "out/w FLOAT16 6",
            "out/b INT8_ROW_SCALED 5");
    assertThat(info.tensors().get(0).offset()).isEqualTo(0x218);
    assertThat(info.payloadBytes()).isEqualTo(113);
  }

  @Test
  void shouldStillBeWrittenByteForByteForAnUncalibratedModel() {
    // version 2 only adds the calibration record; a model without a calibration map is still
    // written in the version 1 layout, byte for byte
    assertThat(CtrmFormat.toBytes(CtrmV1FixtureGenerator.content(), CtrmV1FixtureGenerator.options()))
        .isEqualTo(bytes);
  }

  @Test
  void shouldRejectTheFixtureWithAnyTensorFlipped() {
    // the fixture also guards the checks: a copy with one payload byte changed must not load
    byte[] copy = bytes.clone();
    copy[copy.length - CtrmFormat.FOOTER_LENGTH - 5] ^= 1;
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> CtrmFormat.read(copy)))
        .isInstanceOf(CorruptModelException.class)
        .hasMessageContaining("tensor out/b");
  }

  private static void assertTensor(ModelFile file, String name, int[] shape, float... expected) {
    Tensor t = file.tensor(name);
    assertThat(t).as(name).isNotNull();
    assertThat(t.shape()).as("shape of %s", name).isEqualTo(shape);
    int[] actualBits = new int[t.size()];
    int[] expectedBits = new int[expected.length];
    for (int i = 0; i < expected.length; i++) {
      expectedBits[i] = Float.floatToRawIntBits(expected[i]);
    }
    for (int i = 0; i < actualBits.length; i++) {
      actualBits[i] = Float.floatToRawIntBits(t.data()[i]);
    }
    assertThat(actualBits).as("bits of %s %s", name, Arrays.toString(t.data())).isEqualTo(expectedBits);
  }
}
