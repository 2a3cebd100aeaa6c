package io.ctrstreams.model.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.ctrstreams.model.Calibration;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * Format version 2 with bad input: a calibrated file (random Platt and isotonic maps) that is
 * truncated, has any bit flipped or has its calibration record replaced by garbage is refused
 * with a {@link ModelFormatException}, never read as a model with another (or no) map; damage
 * inside the calibration record is reported as such. Every loading path (serving, recompressor,
 * CLI) reads through {@link CtrmFormat#read}, so a refused file is never served. Seeds are fixed.
 */
class CtrmCalibrationProperties {
  private static final String SEED = "20261203";
  /** What a clear message about the calibration record names. */
  private static final String CALIBRATION_MESSAGE = "(?s).*(calibration|isotonic).*";

  @Property(tries = 200, seed = SEED)
  void shouldRoundTripEveryMapBitForBitAndReEncodeIdentically(@ForAll("calibrated") ModelFile file) {
    byte[] bytes = CtrmFormat.toBytes(file);
    ModelFile back = CtrmFormat.read(bytes);
    assertThat(back.calibration()).isEqualTo(file.calibration());
    assertThat(back.contentEquals(file)).isTrue();
    assertThat(CtrmFormat.toBytes(back)).isEqualTo(bytes);
    assertThat(CtrmFormat.inspect(bytes).formatVersion()).isEqualTo(2);
  }

  @Property(tries = 40, seed = SEED)
  void shouldRejectEveryTruncationNamingTheRecordInsideIt(@ForAll("calibrated") ModelFile file) {
    byte[] bytes = CtrmFormat.toBytes(file);
    int recordStart = recordStart(file);
    int recordEnd = bytes.length - CtrmFormat.FOOTER_LENGTH;
    for (int len = 0; len < bytes.length; len++) {
      byte[] prefix = Arrays.copyOf(bytes, len);
      Throwable t = catchThrowable(() -> CtrmFormat.read(prefix));
      assertThat(t).as("prefix of %d of %d bytes", len, bytes.length)
          .isInstanceOfAny(TruncatedModelException.class, CorruptModelException.class);
      if (len > recordStart && len < recordEnd) {
        assertThat(t.getMessage()).as("prefix of %d bytes ends in the calibration record [%d, %d)", len,
            recordStart, recordEnd).matches(CALIBRATION_MESSAGE);
      }
    }
  }

  @Property(tries = 40, seed = SEED)
  void shouldRejectEveryBitFlipInTheCalibrationRecordNamingIt(@ForAll("calibrated") ModelFile file) {
    byte[] bytes = CtrmFormat.toBytes(file);
    int recordStart = recordStart(file);
    int recordEnd = bytes.length - CtrmFormat.FOOTER_LENGTH;
    for (int bit = recordStart * 8; bit < recordEnd * 8; bit++) {
      byte[] flipped = bytes.clone();
      flipped[bit >>> 3] ^= (byte) (1 << (bit & 7));
      Throwable t = catchThrowable(() -> CtrmFormat.read(flipped));
      // a flipped knot count may also read as input that ends too early
      assertThat(t).as("bit %d (byte %d) of the record [%d, %d)", bit, bit >>> 3, recordStart, recordEnd)
          .isInstanceOfAny(CorruptModelException.class, TruncatedModelException.class);
      assertThat(t.getMessage()).as("bit %d", bit).matches(CALIBRATION_MESSAGE);
    }
  }

  @Property(tries = 15, seed = SEED)
  void shouldRejectEveryBitFlipAnywhere(@ForAll("calibrated") ModelFile file) {
    byte[] bytes = CtrmFormat.toBytes(file);
    for (int bit = 0; bit < bytes.length * 8; bit++) {
      byte[] flipped = bytes.clone();
      flipped[bit >>> 3] ^= (byte) (1 << (bit & 7));
      // a flip in the version field is legitimately reported as an unsupported version
      assertThat(catchThrowable(() -> CtrmFormat.read(flipped))).as("bit %d of %d bytes", bit, bytes.length)
          .isInstanceOf(ModelFormatException.class);
    }
  }

  @Property(tries = 300, seed = SEED)
  void shouldRejectGarbageInPlaceOfTheCalibrationRecord(@ForAll("calibrated") ModelFile file,
      @ForAll @Size(max = 200) List<Byte> garbage) {
    byte[] bytes = CtrmFormat.toBytes(file);
    int recordStart = recordStart(file);
    byte[] mixed = Arrays.copyOf(bytes, recordStart + garbage.size() + CtrmFormat.FOOTER_LENGTH);
    for (int i = 0; i < garbage.size(); i++) {
      mixed[recordStart + i] = garbage.get(i);
    }
    System.arraycopy(bytes, bytes.length - CtrmFormat.FOOTER_LENGTH, mixed, recordStart + garbage.size(),
        CtrmFormat.FOOTER_LENGTH);
    if (Arrays.equals(mixed, bytes)) {
      return;
    }
    assertThat(catchThrowable(() -> CtrmFormat.read(mixed))).isInstanceOf(ModelFormatException.class);
  }

  /** Where the calibration record starts: the version 1 encoding of the same content, less its footer. */
  private static int recordStart(ModelFile file) {
    return CtrmFormat.toBytes(file.withCalibration(Calibration.none())).length - CtrmFormat.FOOTER_LENGTH;
  }

  @Provide
  Arbitrary<ModelFile> calibrated() {
    Arbitrary<Calibration> platt = Combinators.combine(
            Arbitraries.doubles().between(1e-6, 1e6).ofScale(9), Arbitraries.doubles().between(-1e6, 1e6).ofScale(9))
        .as(Calibration::platt);
    Arbitrary<Calibration> isotonic = Combinators.combine(
            Arbitraries.doubles().between(-50, 50).ofScale(9).list().ofMinSize(1).ofMaxSize(12),
            Arbitraries.doubles().between(0, 1).ofScale(9).list().ofMinSize(1).ofMaxSize(12))
        .as((xs, ys) -> {
          double[] x = xs.stream().mapToDouble(Double::doubleValue).distinct().sorted().toArray();
          double[] y = ys.stream().mapToDouble(Double::doubleValue).sorted().toArray();
          int k = Math.min(x.length, y.length);
          return Calibration.isotonic(Arrays.copyOf(x, k), Arrays.copyOf(y, k));
        });
    return Combinators.combine(Arbitraries.longs(), Arbitraries.oneOf(platt, isotonic))
        .as((seed, c) -> CtrmTestFiles.sample(seed).withCalibration(c));
  }
}
