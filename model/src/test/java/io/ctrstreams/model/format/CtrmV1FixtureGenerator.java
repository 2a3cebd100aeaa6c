package io.ctrstreams.model.format;

import io.ctrstreams.model.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the format-version-1 fixture {@code model/src/test/resources/fixtures/ctrm-v1/tiny-dnn.ctrm}
 * that {@link CtrmV1FixtureTest} must keep loading forever. Run it only to create the fixture of a
 * <i>new</i> format version (copy this class, change the directory); it refuses to overwrite an
 * existing file, because a fixture that is silently regenerated protects nothing.
 *
 * <pre>
 * mvn -B -q -o -pl model test-compile
 * java -cp model/target/classes:model/target/test-classes \
 *     io.ctrstreams.model.format.CtrmV1FixtureGenerator model/src/test/resources/fixtures/ctrm-v1
 * </pre>
 *
 * It prints the decoded values and the SHA-256 that the test hard-codes.
 */
public final class CtrmV1FixtureGenerator {
  static final String FILE_NAME = "tiny-dnn.ctrm";

  static final String SPEC_JSON =
      "{\"type\":\"dnn\",\"name\":\"tiny-dnn\",\"fields\":["
          + "{\"name\":\"C1\",\"kind\":\"categorical\",\"vocab\":\"vocab/C1\",\"embeddingDim\":4},"
          + "{\"name\":\"I1\",\"kind\":\"numeric\",\"transform\":\"log1p\"}],"
          + "\"layers\":[{\"name\":\"dense0\",\"units\":3,\"rank\":2,\"activation\":\"relu\"},"
          + "{\"name\":\"out\",\"units\":1,\"activation\":\"sigmoid\"}]}";

  private CtrmV1FixtureGenerator() {}

  /** The fixture's content, before any lossy dtype is applied. */
  static ModelFile content() {
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("compressed-from", "tiny-dnn@3");
    metadata.put("created-by", "CtrmV1FixtureGenerator");
    metadata.put("note", "ünïcödé ✓ 𝄞");
    Map<String, List<String>> tables = new LinkedHashMap<>();
    tables.put("vocab/C1", List.of("", "68fd1e64", "05db9164", "ünï"));
    tables.put("vocab/empty", List.of());
    float[] emb = new float[12];
    for (int i = 0; i < emb.length; i++) {
      emb[i] = i * 0.25f - 1f;
    }
    return new ModelFile(
        "tiny-dnn",
        7L,
        SPEC_JSON,
        metadata,
        List.of(
            new Tensor("emb/C1", new int[] {3, 4}, emb),
            // rows: exact (scale 2^-7), all-zero, lossy, exact (scale 2^-5), tiny and lossy
            new Tensor("dense0/u", new int[] {5, 2},
                new float[] {0.9921875f, -0.5f, 0f, 0f, -2f, 1f, 3.96875f, -0.03125f, 1e-3f, -2e-3f}),
            // 0.1 and 1/3 are not representable in half precision and get rounded
            new Tensor("dense0/v", new int[] {2, 3},
                new float[] {0.5f, -1.25f, 1024f, 0.1f, 1f / 3f, 0x1p-24f}),
            new Tensor("dense0/b", new int[] {3}, new float[] {-0f, Float.MIN_VALUE, 123.456f}),
            new Tensor("out/w", new int[] {3, 1}, new float[] {65504f, -0.0009765625f, 2.5f}),
            new Tensor("out/b", new int[] {1}, new float[] {-31.75f})),
        tables);
  }

  static WriteOptions options() {
    return WriteOptions.dtypes(Map.of(
        "dense0/u", TensorDtype.INT8_ROW_SCALED,
        "out/b", TensorDtype.INT8_ROW_SCALED,
        "dense0/v", TensorDtype.FLOAT16,
        "out/w", TensorDtype.FLOAT16));
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: CtrmV1FixtureGenerator <output directory>");
      System.exit(2);
    }
    Path out = Path.of(args[0]).resolve(FILE_NAME);
    if (Files.exists(out)) {
      System.err.println(out + " exists; fixtures of a released format version are never regenerated");
      System.exit(1);
    }
    CtrmFormat.write(content(), out, options());
    ModelFile back = CtrmFormat.read(out);
    for (Tensor t : back.tensors()) {
      StringBuilder sb = new StringBuilder(t.name()).append(':');
      for (float v : t.data()) {
        sb.append(' ').append(Float.toHexString(v)).append('f');
      }
      System.out.println(sb);
    }
    System.out.println("bytes " + Files.size(out) + " sha256 " + CtrmFormat.sha256Hex(out));
  }
}
