package io.ctrstreams.model.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.Calibration;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

/** Format version 2: the calibration record, and version 1 files next to it. */
class CtrmCalibrationTest {

  @Test
  void shouldWriteVersion2WithAPlattMapAndReadItBack() {
    ModelFile f = CtrmTestFiles.sample(3).withCalibration(Calibration.platt(0.8, -0.25));
    byte[] bytes = CtrmFormat.toBytes(f);
    assertThat(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(CtrmTestFiles.VERSION_OFFSET)).isEqualTo(2);
    ModelFile back = CtrmFormat.read(bytes);
    assertThat(back.calibration()).isEqualTo(Calibration.platt(0.8, -0.25));
    assertThat(back.contentEquals(f)).isTrue();
    assertThat(CtrmFormat.inspect(bytes).formatVersion()).isEqualTo(2);
  }

  @Test
  void shouldKeepWritingVersion1WithoutACalibrationMapAndReadItAsNone() {
    ModelFile f = CtrmTestFiles.sample(4);
    byte[] bytes = CtrmFormat.toBytes(f);
    assertThat(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(CtrmTestFiles.VERSION_OFFSET)).isEqualTo(1);
    assertThat(CtrmFormat.read(bytes).calibration()).isEqualTo(Calibration.none());
    // the calibrated file is the uncalibrated one plus the record (and another version and digest)
    byte[] v2 = CtrmFormat.toBytes(f.withCalibration(Calibration.platt(1.5, 0.5)));
    assertThat(v2.length).isEqualTo(bytes.length + 1 + 16 + 4);
  }

  @Test
  void shouldRoundTripAnIsotonicMap() {
    Calibration c = Calibration.isotonic(new double[] {-3, -1, 0.5, 2}, new double[] {0.01, 0.1, 0.1, 0.7});
    ModelFile back = CtrmFormat.read(CtrmFormat.toBytes(CtrmTestFiles.sample(5).withCalibration(c)));
    assertThat(back.calibration()).isEqualTo(c);
    assertThat(back.calibration().apply(-0.25)).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(back.calibration().apply(1.25)).isCloseTo(0.4, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(back.calibration().apply(-10.0)).isEqualTo(0.01);
    assertThat(back.calibration().apply(10.0)).isEqualTo(0.7);
  }

  @Test
  void shouldRejectADamagedCalibrationRecord() {
    byte[] bytes = CtrmFormat.toBytes(CtrmTestFiles.sample(6).withCalibration(Calibration.platt(0.8, -0.25)));
    // the record sits right before the footer: kind, a, b, crc
    int kindAt = bytes.length - CtrmFormat.FOOTER_LENGTH - 4 - 16 - 1;
    byte[] badKind = bytes.clone();
    badKind[kindAt] = 9;
    assertThatThrownBy(() -> CtrmFormat.read(badKind)).isInstanceOf(CorruptModelException.class)
        .hasMessageContaining("calibration kind code 9");
    byte[] flipped = bytes.clone();
    flipped[kindAt + 3] ^= 1;
    assertThatThrownBy(() -> CtrmFormat.read(flipped)).isInstanceOf(CorruptModelException.class)
        .hasMessageContaining("calibration");
  }

  @Property(tries = 50)
  void plattMapsRoundTripBitForBit(@ForAll @DoubleRange(min = 0.01, max = 10) double a,
      @ForAll @DoubleRange(min = -10, max = 10) double b) {
    Calibration c = Calibration.platt(a, b);
    assertThat(CtrmFormat.read(CtrmFormat.toBytes(CtrmTestFiles.sample(7).withCalibration(c))).calibration())
        .isEqualTo(c);
  }
}
