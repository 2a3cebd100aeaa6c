package io.ctrstreams.model.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.CtrModelException;
import io.ctrstreams.model.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CtrmFormatTest {

  @Test
  void shouldRoundTripSampleBitExactly() {
    ModelFile file = CtrmTestFiles.sample(1);
    byte[] bytes = CtrmFormat.toBytes(file);
    ModelFile back = CtrmFormat.read(bytes);
    assertThat(back.contentEquals(file)).isTrue();
    assertThat(back.metadata()).containsExactlyEntriesOf(file.metadata());
    assertThat(back.stringTables()).containsExactlyEntriesOf(file.stringTables());
    assertThat(back.tensors()).extracting(Tensor::name)
        .containsExactly("emb/C1", "dense0/w", "dense0/b", "out/w3");
  }

  @Test
  void shouldWriteIdenticalBytesForEqualContent() {
    byte[] a = CtrmFormat.toBytes(CtrmTestFiles.sample(3));
    byte[] b = CtrmFormat.toBytes(CtrmTestFiles.sample(3));
    assertThat(a).isEqualTo(b);
    assertThat(CtrmTestFiles.sample(3).sha256Hex()).isEqualTo(CtrmFormat.sha256Hex(a));
    assertThat(CtrmTestFiles.sample(4).sha256Hex()).isNotEqualTo(CtrmFormat.sha256Hex(a));
  }

  @Test
  void shouldStreamTheSameBytesAsToBytes() throws IOException {
    ModelFile file = CtrmTestFiles.sample(5);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CtrmFormat.write(file, out);
    assertThat(out.toByteArray()).isEqualTo(CtrmFormat.toBytes(file));
    assertThat(CtrmFormat.read(new ByteArrayInputStream(out.toByteArray())).contentEquals(file))
        .isTrue();
  }

  @Test
  void shouldPreserveSpecialFloatBitPatterns() {
    float[] special = {
      Float.NaN, Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xff800123),
      Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, Float.MIN_VALUE, Float.MAX_VALUE
    };
    ModelFile file = new ModelFile("m", 0, "{}", Map.of(), List.of(new Tensor("t", new int[] {9}, special)), Map.of());
    float[] back = CtrmFormat.read(CtrmFormat.toBytes(file)).tensor("t").data();
    for (int i = 0; i < special.length; i++) {
      assertThat(Float.floatToRawIntBits(back[i])).as("index %d", i)
          .isEqualTo(Float.floatToRawIntBits(special[i]));
    }
  }

  @Test
  void shouldRoundTripModelWithoutTensorsOrTables() {
    ModelFile file = new ModelFile("empty", Long.MAX_VALUE, "{\"x\":1}", Map.of(), List.of(), Map.of());
    assertThat(CtrmFormat.read(CtrmFormat.toBytes(file)).contentEquals(file)).isTrue();
  }

  @Test
  void shouldWriteAtomicallyToPathAndReadBack(@TempDir Path dir) throws IOException {
    Path path = dir.resolve("sub/model.ctrm");
    ModelFile v1 = CtrmTestFiles.sample(6);
    ModelFile v2 = CtrmTestFiles.sample(7);
    CtrmFormat.write(v1, path);
    CtrmFormat.write(v2, path);
    assertThat(CtrmFormat.read(path).contentEquals(v2)).isTrue();
    assertThat(CtrmFormat.sha256Hex(path)).isEqualTo(v2.sha256Hex());
    try (Stream<Path> files = Files.list(path.getParent())) {
      assertThat(files).as("no temporary files left behind").containsExactly(path);
    }
    if (path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      // readable by the group/others the umask allows, unlike Files.createTempFile's 0600
      Path plain = Files.createFile(dir.resolve("plain"));
      assertThat(Files.getPosixFilePermissions(path)).isEqualTo(Files.getPosixFilePermissions(plain));
    }
  }

  @Test
  void shouldLeaveExistingFileAndNoTempFileWhenWriteFails(@TempDir Path dir) throws IOException {
    Path path = dir.resolve("model.ctrm");
    ModelFile good = CtrmTestFiles.sample(8);
    CtrmFormat.write(good, path);
    ModelFile bad = new ModelFile("m", 0, "{}", Map.of(),
        List.of(new Tensor("w", new int[] {1}, new float[] {1e6f})), Map.of());
    assertThatThrownBy(() -> CtrmFormat.write(bad, path, WriteOptions.allAs(TensorDtype.FLOAT16)))
        .isInstanceOf(CtrModelException.class)
        .hasMessageContaining("tensor w value 1000000.0 at index 0 overflows FLOAT16");
    assertThat(CtrmFormat.read(path).contentEquals(good)).isTrue();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(path);
    }
  }

  @Test
  void shouldRejectTooNewVersionNamingIt() {
    byte[] bytes = CtrmFormat.toBytes(CtrmTestFiles.sample(9));
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(CtrmTestFiles.VERSION_OFFSET, 7);
    assertThatThrownBy(() -> CtrmFormat.read(bytes))
        .isInstanceOfSatisfying(UnsupportedFormatVersionException.class, e -> {
          assertThat(e.foundVersion()).isEqualTo(7);
          assertThat(e.maxSupported()).isEqualTo(CtrmFormat.CURRENT_VERSION);
          assertThat(e.offset()).isEqualTo(CtrmTestFiles.VERSION_OFFSET);
        })
        .hasMessageContaining("version 7 (too new)")
        .hasMessageContaining("supports versions 1 to 2");
  }

  @Test
  void shouldRejectTooOldVersion() {
    byte[] bytes = new CtrmTestFiles.Forger().header(0, 0, 0, 0).toBytes();
    assertThatThrownBy(() -> CtrmFormat.read(bytes))
        .isInstanceOf(UnsupportedFormatVersionException.class)
        .hasMessageContaining("version 0 (too old)");
  }

  @Test
  void shouldRejectBadMagicAndFormatName() {
    byte[] bytes = CtrmFormat.toBytes(CtrmTestFiles.sample(10));
    byte[] badMagic = bytes.clone();
    badMagic[0] = 'X';
    assertThatThrownBy(() -> CtrmFormat.read(badMagic))
        .isInstanceOf(CorruptModelException.class)
        .hasMessageContaining("magic is 0x5854524d, expected 0x4354524d");
    byte[] badName = bytes.clone();
    badName[8] = 'X';
    assertThatThrownBy(() -> CtrmFormat.read(badName))
        .isInstanceOf(CorruptModelException.class)
        .hasMessageContaining("format name is \"Xo.ctrstreams.ctrm\"");
  }

  @Test
  void shouldRejectTrailingGarbage() {
    byte[] bytes = CtrmFormat.toBytes(CtrmTestFiles.sample(11));
    byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 3);
    assertThatThrownBy(() -> CtrmFormat.read(longer))
        .isInstanceOf(CorruptModelException.class)
        .hasMessageContaining("3 trailing bytes after the footer (at byte offset " + bytes.length + ")");
  }

  @Test
  void shouldNameTensorWhosePayloadCrcFails() {
    ModelFile file = CtrmTestFiles.sample(12);
    byte[] bytes = CtrmFormat.toBytes(file);
    // last payload byte of the last tensor: just before its CRC and the footer
    bytes[bytes.length - CtrmFormat.FOOTER_LENGTH - 5] ^= 0x10;
    assertThatThrownBy(() -> CtrmFormat.read(bytes))
        .isInstanceOf(CorruptModelException.class)
        .hasMessageContaining("CRC32C mismatch in tensor out/w3");
  }

  @Test
  void shouldRejectFileLargerThanMaxBytes() {
    byte[] bytes = CtrmFormat.toBytes(CtrmTestFiles.sample(13));
    ReadOptions small = ReadOptions.defaults().withMaxBytes(bytes.length - 1);
    assertThatThrownBy(() -> CtrmFormat.read(bytes, small))
        .isInstanceOf(CorruptModelException.class)
        .hasMessageContaining("ReadOptions.maxBytes");
    assertThatThrownBy(() -> CtrmFormat.read(new ByteArrayInputStream(bytes), small))
        .isInstanceOf(CorruptModelException.class)
        .hasMessageContaining("ReadOptions.maxBytes");
    assertThat(CtrmFormat.read(bytes, small.withMaxBytes(bytes.length)).modelName()).isEqualTo("ctr-dnn");
  }

  @Test
  void shouldRejectOversizedFileBeforeReadingIt(@TempDir Path dir) throws IOException {
    Path path = dir.resolve("m.ctrm");
    CtrmFormat.write(CtrmTestFiles.sample(14), path);
    long size = Files.size(path);
    assertThatThrownBy(() -> CtrmFormat.read(path, ReadOptions.defaults().withMaxBytes(size - 1)))
        .isInstanceOf(CorruptModelException.class)
        .hasMessageContaining("has " + size + " bytes, more than the limit of " + (size - 1));
  }

  @Test
  void shouldReadStreamThatDeliversOneByteAtATime() throws IOException {
    ModelFile file = CtrmTestFiles.sample(15);
    byte[] bytes = CtrmFormat.toBytes(file);
    java.io.InputStream trickle = new java.io.FilterInputStream(new ByteArrayInputStream(bytes)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 1));
      }
    };
    assertThat(CtrmFormat.read(trickle).contentEquals(file)).isTrue();
  }

  @Test
  void shouldRejectForgedHugeCountsWithoutAllocating() {
    assertRejectedCheaply(new CtrmTestFiles.Forger().header(1, 0, 0, Integer.MAX_VALUE).toBytes(),
        TruncatedModelException.class, "tensor count is 2147483647");
    assertRejectedCheaply(new CtrmTestFiles.Forger().header(1, Integer.MAX_VALUE, 0, 0).toBytes(),
        TruncatedModelException.class, "metadata entry count is 2147483647");
    assertRejectedCheaply(new CtrmTestFiles.Forger().header(1, 0, 0, -5).toBytes(),
        CorruptModelException.class, "tensor count must be >= 0, found -5");
    byte[] hugeTable = new CtrmTestFiles.Forger().header(1, 0, 1, 0)
        .startRecord().string("vocab").i32(Integer.MAX_VALUE).bytes(64).toBytes();
    assertRejectedCheaply(hugeTable, TruncatedModelException.class,
        "entry count of string table vocab is 2147483647");
    byte[] hugeString = new CtrmTestFiles.Forger().header(1, 0, 1, 0)
        .startRecord().i32(Integer.MAX_VALUE).bytes(64).toBytes();
    assertRejectedCheaply(hugeString, CorruptModelException.class,
        "length of name of string table #0 must be in [0, 67108864], found 2147483647");
  }

  @Test
  void shouldRejectForgedHugeTensorWithoutAllocating() {
    // 2^40 elements: over the element cap
    byte[] tooMany = new CtrmTestFiles.Forger().header(1, 0, 0, 1)
        .startRecord().string("w").i8(0).i8(2).i32(1 << 20).i32(1 << 20).i64(4L << 40)
        .bytes(64).toBytes();
    assertRejectedCheaply(tooMany, CorruptModelException.class,
        "tensor w shape [1048576, 1048576] has more than 268435456 elements");
    // 2^27 elements (512 MiB) is within the cap, but the input holds only 64 payload bytes
    byte[] short64 = new CtrmTestFiles.Forger().header(1, 0, 0, 1)
        .startRecord().string("w").i8(0).i8(1).i32(1 << 27).i64(4L << 27).bytes(64).toBytes();
    assertRejectedCheaply(short64, TruncatedModelException.class,
        "input ends inside payload of tensor w: needs 536870916 bytes");
    // the payload length must match dtype and shape exactly
    byte[] wrongLength = new CtrmTestFiles.Forger().header(1, 0, 0, 1)
        .startRecord().string("w").i8(1).i8(1).i32(3).i64(12).bytes(64).toBytes();
    assertRejectedCheaply(wrongLength, CorruptModelException.class,
        "payload length of tensor w is 12, expected 6 for FLOAT16 [3]");
    byte[] badDtype = new CtrmTestFiles.Forger().header(1, 0, 0, 1)
        .startRecord().string("w").i8(9).i8(1).i32(3).i64(12).bytes(64).toBytes();
    assertRejectedCheaply(badDtype, CorruptModelException.class, "unknown dtype code 9 for tensor w");
    byte[] badRank = new CtrmTestFiles.Forger().header(1, 0, 0, 1)
        .startRecord().string("w").i8(0).i8(0).bytes(64).toBytes();
    assertRejectedCheaply(badRank, CorruptModelException.class, "rank of tensor w must be in [1, 16], found 0");
  }

  private static void assertRejectedCheaply(byte[] bytes, Class<? extends ModelFormatException> type, String message) {
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = mx.getCurrentThreadAllocatedBytes();
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> CtrmFormat.read(bytes)).isInstanceOf(type).hasMessageContaining(message);
    long allocated = mx.getCurrentThreadAllocatedBytes() - before;
    long millis = (System.nanoTime() - t0) / 1_000_000;
    // an honest rejection allocates a few KiB (exception, message, AssertJ); any allocation
    // sized by the forged header would be hundreds of MiB
    assertThat(allocated).as("bytes allocated while rejecting: %s", message).isLessThan(4L << 20);
    assertThat(millis).as("milliseconds to reject").isLessThan(2_000);
  }

  @Test
  void shouldInspectWithoutAllocatingTensorValues() {
    ModelFile file = new ModelFile("big", 3, "{}", Map.of("k", "v"),
        List.of(CtrmTestFiles.randomTensor("emb", new Random(3), 1 << 16, 16)), Map.of());
    byte[] bytes = CtrmFormat.toBytes(file); // 4 MiB of float32
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = mx.getCurrentThreadAllocatedBytes();
    CtrmFileInfo info = CtrmFormat.inspect(bytes);
    long allocated = mx.getCurrentThreadAllocatedBytes() - before;
    assertThat(info.tensors()).singleElement()
        .satisfies(t -> assertThat(t.elements()).isEqualTo(1L << 20))
        .satisfies(t -> assertThat(t.payloadBytes()).isEqualTo(4L << 20));
    assertThat(info.sha256Hex()).isEqualTo(file.sha256Hex());
    assertThat(allocated).as("bytes allocated by inspect").isLessThan(1L << 20);
  }

  @Test
  void shouldRejectNonFiniteValuesForInt8AndNullMetadata() {
    ModelFile nan = new ModelFile("m", 0, "{}", Map.of(),
        List.of(new Tensor("w", new int[] {2, 2}, new float[] {1, 2, Float.NaN, 4})), Map.of());
    assertThatThrownBy(() -> CtrmFormat.toBytes(nan, WriteOptions.allAs(TensorDtype.INT8_ROW_SCALED)))
        .isInstanceOf(CtrModelException.class)
        .hasMessageContaining("tensor w value NaN at index 2 cannot be stored as INT8_ROW_SCALED");
    java.util.Map<String, String> meta = new java.util.HashMap<>();
    meta.put("k", null);
    ModelFile nullMeta = new ModelFile("m", 0, "{}", meta, List.of(), Map.of());
    assertThatThrownBy(() -> CtrmFormat.toBytes(nullMeta))
        .isInstanceOf(CtrModelException.class)
        .hasMessageContaining("must not contain null, found k=null");
  }

  @Test
  void shouldRejectUnpairedSurrogateInsteadOfWritingQuestionMark() {
    ModelFile file = new ModelFile("bad\uD800name", 0, "{}", Map.of(), List.of(), Map.of());
    assertThatThrownBy(() -> CtrmFormat.toBytes(file))
        .isInstanceOf(CtrModelException.class)
        .hasMessageContaining("model name is not valid Unicode");
  }

  @Test
  void shouldChooseDtypePerTensorAndShrinkBytes() {
    ModelFile file = new ModelFile("m", 0, "{}", Map.of(),
        List.of(CtrmTestFiles.randomTensor("emb", new Random(1), 100, 16),
            CtrmTestFiles.randomTensor("w", new Random(2), 16, 16)), Map.of());
    int f32 = CtrmFormat.toBytes(file).length;
    int f16 = CtrmFormat.toBytes(file, WriteOptions.allAs(TensorDtype.FLOAT16)).length;
    int i8 = CtrmFormat.toBytes(file, WriteOptions.allAs(TensorDtype.INT8_ROW_SCALED)).length;
    int mixed = CtrmFormat.toBytes(file, WriteOptions.dtypes(Map.of("emb", TensorDtype.INT8_ROW_SCALED))).length;
    // payloads: f32 4*1856; f16 2*1856; int8 1856 + 4*(100+16); mixed 1700 + 400 + 4*256
    assertThat(f32 - f16).isEqualTo(2 * 1856);
    assertThat(f32 - i8).isEqualTo(3 * 1856 - 4 * 116);
    assertThat(f32 - mixed).isEqualTo(3 * 1600 - 400);
  }
}
