package io.ctrstreams.model.format;

import io.ctrstreams.model.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;

/** Shared sample models and a byte-level forger for hand-made (possibly hostile) headers. */
final class CtrmTestFiles {
  private CtrmTestFiles() {}

  /** Offset of the i32 format version: magic, format name length, format name. */
  static final int VERSION_OFFSET = 4 + 4 + CtrmFormat.FORMAT_NAME.length();

  /** A small model with every kind of content, values drawn from {@code seed}. */
  static ModelFile sample(long seed) {
    Random rnd = new Random(seed);
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("compressed-from", "dnn-base@7");
    meta.put("note", "ünïcödé ✓ 𝄞");
    meta.put("", "empty key is allowed");
    Map<String, List<String>> tables = new LinkedHashMap<>();
    tables.put("vocab/C1", List.of("", "a", "68fd1e64", "日本"));
    tables.put("vocab/empty", List.of());
    return new ModelFile(
        "ctr-dnn",
        42L,
        "{\"type\":\"dnn\",\"fields\":[\"C1\"],\"hidden\":[8,4]}",
        meta,
        List.of(
            randomTensor("emb/C1", rnd, 4, 3),
            randomTensor("dense0/w", rnd, 3, 8),
            randomTensor("dense0/b", rnd, 8),
            randomTensor("out/w3", rnd, 2, 2, 2)),
        tables);
  }

  static Tensor randomTensor(String name, Random rnd, int... shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = (float) rnd.nextGaussian();
    }
    return new Tensor(name, shape, data);
  }

  /** Little-endian byte writer that can stamp CRC32C over a record, for forged inputs. */
  static final class Forger {
    private final ByteBuffer bb = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private int recordStart;

    Forger header(int version, int metaCount, int tableCount, int tensorCount) {
      bb.put(CtrmFormat.MAGIC);
      string(CtrmFormat.FORMAT_NAME);
      bb.putInt(version);
      string("m");
      bb.putLong(1);
      string("{}");
      bb.putInt(metaCount);
      bb.putInt(tableCount);
      bb.putInt(tensorCount);
      return crc();
    }

    Forger startRecord() {
      recordStart = bb.position();
      return this;
    }

    Forger string(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      bb.putInt(b.length);
      bb.put(b);
      return this;
    }

    Forger i8(int v) {
      bb.put((byte) v);
      return this;
    }

    Forger i32(int v) {
      bb.putInt(v);
      return this;
    }

    Forger i64(long v) {
      bb.putLong(v);
      return this;
    }

    Forger bytes(int n) {
      bb.position(bb.position() + n);
      return this;
    }

    /** Appends the CRC32C of the bytes since {@link #startRecord} (or the file start). */
    Forger crc() {
      CRC32C crc = new CRC32C();
      crc.update(bb.array(), recordStart, bb.position() - recordStart);
      bb.putInt((int) crc.getValue());
      recordStart = bb.position();
      return this;
    }

    byte[] toBytes() {
      byte[] out = new byte[bb.position()];
      System.arraycopy(bb.array(), 0, out, 0, out.length);
      return out;
    }
  }
}
