package io.ctrstreams.model.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.ctrstreams.model.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the {@code .ctrm} codec over random models: lossless FLOAT32 round trip,
 * bounded FLOAT16/INT8 error, and rejection (never a silently different model) of every
 * truncation, every single bit flip and random garbage. Seeds are fixed so CI is reproducible;
 * jqwik prints the seed and the shrunk sample on failure.
 */
class CtrmFormatProperties {
  private static final String SEED = "20261126";

  // ------------------------------------------------------------------ round trips

  @Property(tries = 300, seed = SEED)
  void shouldRoundTripFloat32BitExactly(@ForAll("modelFiles") ModelFile file) {
    byte[] bytes = CtrmFormat.toBytes(file);
    ModelFile back = CtrmFormat.read(bytes);
    assertThat(back.contentEquals(file)).as("round trip of %s", describe(file)).isTrue();
    assertThat(CtrmFormat.toBytes(back)).as("re-encoding is identical").isEqualTo(bytes);
    CtrmFileInfo info = CtrmFormat.inspect(bytes);
    assertThat(info.sha256Hex()).isEqualTo(CtrmFormat.sha256Hex(bytes)).isEqualTo(file.sha256Hex());
    assertThat(info.tensors()).extracting(CtrmFileInfo.TensorInfo::name)
        .containsExactlyElementsOf(file.tensors().stream().map(Tensor::name).collect(Collectors.toList()));
  }

  @Property(tries = 200, seed = SEED)
  void shouldRoundTripLossyDtypesWithinBounds(
      @ForAll("finiteModelFiles") ModelFile file, @ForAll int dtypeSeed) {
    TensorDtype[] all = TensorDtype.values();
    WriteOptions options =
        WriteOptions.dtypes(name -> all[Math.floorMod(name.hashCode() ^ dtypeSeed, all.length)]);
    ModelFile back = CtrmFormat.read(CtrmFormat.toBytes(file, options));
    assertThat(back.modelName()).isEqualTo(file.modelName());
    assertThat(back.metadata()).containsExactlyEntriesOf(file.metadata());
    assertThat(back.stringTables()).containsExactlyEntriesOf(file.stringTables());
    assertThat(back.tensors()).hasSameSizeAs(file.tensors());
    for (int i = 0; i < file.tensors().size(); i++) {
      Tensor a = file.tensors().get(i);
      Tensor b = back.tensors().get(i);
      assertThat(b.name()).isEqualTo(a.name());
      assertThat(b.shape()).isEqualTo(a.shape());
      assertWithinBound(a, b, options.dtypeFor(a.name()));
    }
  }

  /** Error bounds documented on {@link TensorDtype}. */
  static void assertWithinBound(Tensor original, Tensor decoded, TensorDtype dtype) {
    float[] x = original.data();
    float[] y = decoded.data();
    int rowLen = x.length / original.dim(0);
    for (int j = 0; j < x.length; j++) {
      double err = Math.abs((double) y[j] - x[j]);
      double bound;
      switch (dtype) {
        case FLOAT32:
          bound = 0;
          break;
        case FLOAT16:
          bound = Math.max(Math.abs(x[j]) * 0x1p-11, 0x1p-25);
          break;
        case INT8_ROW_SCALED:
          float max = 0;
          int r = j / rowLen;
          for (int k = r * rowLen; k < (r + 1) * rowLen; k++) {
            max = Math.max(max, Math.abs(x[k]));
          }
          // half a quantization step, plus float rounding of the scale and of q * scale
          bound = max / 127.0 / 2 * (1 + 1e-5) + Math.ulp(max);
          break;
        default:
          throw new AssertionError(dtype);
      }
      assertThat(err)
          .as("%s %s index %d: %s -> %s", dtype, original.name(), j, x[j], y[j])
          .isLessThanOrEqualTo(bound);
    }
  }

  // ------------------------------------------------------------------ rejection

  @Property(tries = 60, seed = SEED)
  void shouldRejectEveryTruncation(@ForAll("smallModelFiles") ModelFile file) {
    byte[] bytes = CtrmFormat.toBytes(file);
    for (int len = 0; len < bytes.length; len++) {
      byte[] prefix = Arrays.copyOf(bytes, len);
      Throwable t = catchThrowable(() -> CtrmFormat.read(prefix));
      assertThat(t)
          .as("prefix of %d of %d bytes", len, bytes.length)
          .isInstanceOfAny(TruncatedModelException.class, CorruptModelException.class);
      assertThat(catchThrowable(() -> CtrmFormat.inspect(prefix)))
          .as("inspect of prefix of %d of %d bytes", len, bytes.length)
          .isInstanceOfAny(TruncatedModelException.class, CorruptModelException.class);
    }
  }

  @Property(tries = 25, seed = SEED)
  void shouldRejectEverySingleBitFlip(@ForAll("smallModelFiles") ModelFile file) {
    byte[] bytes = CtrmFormat.toBytes(file);
    for (int bit = 0; bit < bytes.length * 8; bit++) {
      byte[] flipped = bytes.clone();
      flipped[bit >>> 3] ^= (byte) (1 << (bit & 7));
      Throwable t = catchThrowable(() -> CtrmFormat.read(flipped));
      // a flip in the version field is legitimately reported as an unsupported version
      assertThat(t)
          .as("bit %d (byte %d) of %d bytes", bit, bit >>> 3, bytes.length)
          .isInstanceOf(ModelFormatException.class);
      assertThat(catchThrowable(() -> CtrmFormat.inspect(flipped)))
          .as("inspect, bit %d (byte %d) of %d bytes", bit, bit >>> 3, bytes.length)
          .isInstanceOf(ModelFormatException.class);
    }
  }

  @Property(tries = 500, seed = SEED)
  void shouldRejectRandomGarbage(@ForAll @Size(max = 600) List<Byte> garbage) {
    byte[] bytes = toArray(garbage);
    assertThatThrownBy(() -> CtrmFormat.read(bytes)).isInstanceOf(ModelFormatException.class);
  }

  @Property(tries = 500, seed = SEED)
  void shouldRejectGarbageAfterAValidPrefix(
      @ForAll("smallModelFiles") ModelFile file,
      @ForAll @Size(max = 300) List<Byte> garbage,
      @ForAll int cut) {
    // keep a valid start (so the reader gets past magic, name and version) and replace the rest:
    // exercises the deeper size checks, which must never escape as anything but format errors
    byte[] bytes = CtrmFormat.toBytes(file);
    int keep = CtrmTestFiles.VERSION_OFFSET + 4 + Math.floorMod(cut, bytes.length - CtrmTestFiles.VERSION_OFFSET - 4);
    byte[] tail = toArray(garbage);
    byte[] mixed = Arrays.copyOf(bytes, keep + tail.length);
    System.arraycopy(tail, 0, mixed, keep, tail.length);
    if (Arrays.equals(mixed, bytes)) {
      return; // the garbage happened to rebuild the original
    }
    assertThatThrownBy(() -> CtrmFormat.read(mixed)).isInstanceOf(ModelFormatException.class);
  }

  // ------------------------------------------------------------------ generators

  @Provide
  Arbitrary<ModelFile> modelFiles() {
    return models(anyFloats(), 6, 5);
  }

  @Provide
  Arbitrary<ModelFile> finiteModelFiles() {
    Arbitrary<Float> finite = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.floats().between(-60000f, 60000f)),
        net.jqwik.api.Tuple.of(3, Arbitraries.floats().between(-2f, 2f)),
        net.jqwik.api.Tuple.of(1, Arbitraries.of(0f, -0f, Float.MIN_VALUE, 0x1p-24f, -0x1p-20f, 65504f, -65504f)));
    return models(finite, 6, 6);
  }

  @Provide
  Arbitrary<ModelFile> smallModelFiles() {
    return models(anyFloats(), 3, 3);
  }

  private static Arbitrary<ModelFile> models(Arbitrary<Float> values, int maxTensors, int maxDim) {
    Arbitrary<String> text = unicode(12);
    Arbitrary<Map<String, String>> metadata = Arbitraries.maps(text, text).ofMaxSize(4);
    Arbitrary<Map<String, List<String>>> tables =
        Arbitraries.maps(text, text.list().ofMaxSize(6)).ofMaxSize(3);
    Arbitrary<List<Tensor>> tensors =
        tensor(values, maxDim).list().ofMaxSize(maxTensors).uniqueElements(Tensor::name);
    return Combinators.combine(
            unicode(16).filter(s -> !s.isEmpty()),
            Arbitraries.longs().between(0, Long.MAX_VALUE),
            unicode(40).filter(s -> !s.isEmpty()),
            metadata,
            tensors,
            tables)
        .as(ModelFile::new);
  }

  private static Arbitrary<Tensor> tensor(Arbitrary<Float> values, int maxDim) {
    Arbitrary<int[]> shapes = Arbitraries.integers().between(1, maxDim).list().ofMinSize(1).ofMaxSize(4)
        .map(l -> l.stream().mapToInt(Integer::intValue).toArray());
    return Combinators.combine(unicode(10).filter(s -> !s.isEmpty()), shapes)
        .flatAs((name, shape) -> {
          int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
          return values.list().ofSize(n).map(v -> {
            float[] data = new float[n];
            for (int i = 0; i < n; i++) {
              data[i] = v.get(i);
            }
            return new Tensor(name, shape, data);
          });
        });
  }

  /** Any float32 bit pattern, with the special values over-represented. */
  private static Arbitrary<Float> anyFloats() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, Arbitraries.floats().between(-10f, 10f)),
        net.jqwik.api.Tuple.of(3, Arbitraries.integers().map(Float::intBitsToFloat)),
        net.jqwik.api.Tuple.of(1, Arbitraries.of(Float.NaN, Float.intBitsToFloat(0xffc0ffee),
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE, Float.MAX_VALUE)));
  }

  /** Valid Unicode strings (no unpaired surrogates) mixing ASCII, BMP and supplementary code points. */
  private static Arbitrary<String> unicode(int maxCodePoints) {
    Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, Arbitraries.integers().between(0x20, 0x7e)),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 0xd7ff)),
        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0xe000, 0xffff)),
        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0x10000, 0x10ffff)));
    return codePoint.list().ofMaxSize(maxCodePoints)
        .map(cps -> cps.stream()
            .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
            .toString());
  }

  private static byte[] toArray(List<Byte> list) {
    byte[] b = new byte[list.size()];
    for (int i = 0; i < b.length; i++) {
      b[i] = list.get(i);
    }
    return b;
  }

  private static String describe(ModelFile f) {
    return f.modelName() + " tensors " + f.tensors().stream().map(Tensor::toString).collect(Collectors.joining(","));
  }
}
