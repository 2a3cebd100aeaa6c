package io.ctrstreams.trainer.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.format.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SafetensorsTest {

  private static ModelSpec spec() {
    return ModelSpec.builder().name("pt").architecture(Architecture.DEEPFM)
        .fields(List.of(FieldSpec.categorical("a", FieldSpec.Role.CONTEXT, 3, 1, 4),
            FieldSpec.categorical("b", FieldSpec.Role.CANDIDATE, 0, 8, 4)))
        .mlp(5).build();
  }

  /** A file the way PyTorch would name it: dots instead of slashes, fm/first as 1-D. */
  private static byte[] torchFile(CtrModel src) {
    Map<String, float[]> data = new LinkedHashMap<>();
    Map<String, int[]> shapes = new LinkedHashMap<>();
    for (Tensor t : src.tensors()) {
      String n = t.name().replace('/', '.');
      data.put(n, t.data());
      shapes.put(n, t.name().startsWith("fm/first/") ? new int[] {t.dim(0)} : t.shape());
    }
    data.put("optimizer.step", new float[] {3f});
    shapes.put("optimizer.step", new int[] {1});
    return SafetensorsFile.writeF32(data, shapes, Map.of("vocab/a", "[\"x\",\"y\",\"z\"]"));
  }

  @Test
  void shouldImportTorchNamedWeightsWithVocabularyFromMetadata() {
    CtrModel src = CtrModel.random(spec(), 9);
    SafetensorsImporter.Result r = SafetensorsImporter.importModel(spec(), SafetensorsFile.parse(torchFile(src)),
        Map.of(), null, "imported", 3);
    assertThat(r.unused()).containsExactly("optimizer.step");
    assertThat(r.model().vocabulary("a")).containsExactly("x", "y", "z");
    for (Tensor t : src.tensors()) {
      assertThat(r.model().tensor(t.name()).data()).containsExactly(t.data());
    }
  }

  @Test
  void shouldFollowAnExplicitMappingAndReportMissingTensors() {
    CtrModel src = CtrModel.random(spec(), 9);
    SafetensorsFile f = SafetensorsFile.parse(torchFile(src));
    assertThatThrownBy(() -> SafetensorsImporter.importModel(spec(), f, Map.of("out/w", "head.weight"), null, "x", 1))
        .isInstanceOf(SafetensorsException.class).hasMessageContaining("head.weight");
    Map<String, float[]> data = new LinkedHashMap<>();
    data.put("only", new float[] {1});
    byte[] one = SafetensorsFile.writeF32(data, Map.of("only", new int[] {1}), Map.of());
    assertThatThrownBy(() -> SafetensorsImporter.importModel(spec(), SafetensorsFile.parse(one), Map.of(), null, "x", 1))
        .hasMessageContaining("no tensor emb/a");
  }

  @Test
  void shouldRejectAShapeThatDoesNotFitTheSpec() {
    Map<String, float[]> data = new LinkedHashMap<>();
    Map<String, int[]> shapes = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : io.ctrstreams.model.ModelGraph.expectedShapes(spec()).entrySet()) {
      int[] s = e.getKey().equals("mlp/0/w") ? new int[] {4, 10} : e.getValue();
      int n = 1;
      for (int d : s) {
        n *= d;
      }
      data.put(e.getKey(), new float[n]);
      shapes.put(e.getKey(), s);
    }
    SafetensorsFile f = SafetensorsFile.parse(SafetensorsFile.writeF32(data, shapes, Map.of()));
    assertThatThrownBy(() -> SafetensorsImporter.importModel(spec(), f, Map.of(), Map.of("a", List.of("x", "y", "z")), "x", 1))
        .hasMessageContaining("mlp/0/w").hasMessageContaining("[4, 10]").hasMessageContaining("[5, 8]");
  }

  private static byte[] raw(String header, int dataBytes) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    return b.array();
  }

  @Test
  void shouldWidenHalfAndBfloat16() {
    byte[] f = raw("{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]}}", 6);
    ByteBuffer bb = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    int base = f.length - 6;
    bb.putShort(base, Float16.toHalf(1.5f));
    bb.putShort(base + 2, Float16.toHalf(-2f));
    bb.putShort(base + 4, (short) (Float.floatToIntBits(3.25f) >>> 16));
    SafetensorsFile s = SafetensorsFile.parse(f);
    assertThat(s.tensors().get("h").data()).containsExactly(1.5f, -2f);
    assertThat(s.tensors().get("b").data()).containsExactly(3.25f);
  }

  @Test
  void shouldRejectCorruptHeadersWithClearErrors() {
    assertThatThrownBy(() -> SafetensorsFile.parse(new byte[3])).isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("8-byte header length");
    byte[] tooLong = raw("{}", 0);
    ByteBuffer.wrap(tooLong).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
    assertThatThrownBy(() -> SafetensorsFile.parse(tooLong)).hasMessageContaining("header length 1000");
    assertThatThrownBy(() -> SafetensorsFile.parse(raw("{not json", 0))).hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> SafetensorsFile.parse(raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4)))
        .hasMessageContaining("tensor t").hasMessageContaining("out of range");
    assertThatThrownBy(() -> SafetensorsFile.parse(raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8)))
        .hasMessageContaining("needs 12 bytes").hasMessageContaining("give 8");
    assertThatThrownBy(() -> SafetensorsFile.parse(raw("{\"t\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8)))
        .hasMessageContaining("dtype I64");
    assertThatThrownBy(() -> SafetensorsFile.parse(raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"u\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12)))
        .hasMessageContaining("overlap").hasMessageContaining("t [0, 8]").hasMessageContaining("u [4, 12]");
    assertThatThrownBy(() -> SafetensorsFile.parse(raw("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0)))
        .hasMessageContaining("dimension 0");
  }
}
