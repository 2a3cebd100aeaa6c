package io.ctrstreams.model.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Float16Test {

  @Test
  void shouldMatchNumpyReferenceConversions() throws IOException {
    int checked = 0;
    try (InputStream in = Float16Test.class.getResourceAsStream("float16_reference.txt");
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
      for (String line; (line = r.readLine()) != null; ) {
        String[] parts = line.split(" ");
        float f = Float.intBitsToFloat(Integer.parseUnsignedInt(parts[0], 16));
        int expected = Integer.parseInt(parts[1], 16);
        assertThat(Float16.toHalf(f) & 0xffff)
            .as("half of %s (bits %s)", f, parts[0])
            .isEqualTo(expected);
        checked++;
      }
    }
    assertThat(checked).as("reference lines").isGreaterThan(2900);
  }

  @Test
  void shouldRoundTripEveryHalfExactly() {
    for (int h = 0; h < 1 << 16; h++) {
      float f = Float16.toFloat((short) h);
      if (isNaNHalf(h)) {
        assertThat(f).isNaN();
        assertThat(isNaNHalf(Float16.toHalf(f) & 0xffff)).isTrue();
      } else {
        assertThat(Float16.toHalf(f) & 0xffff).as("half bits %04x", h).isEqualTo(h);
      }
    }
  }

  @Test
  void shouldRoundToNearestTiesToEven() {
    // invariant check, independent of numpy: no other half is closer, and ties pick the even one
    SplittableRandom rnd = new SplittableRandom(7);
    for (int i = 0; i < 200_000; i++) {
      float f = Float.intBitsToFloat(rnd.nextInt());
      if (Float.isNaN(f) || Math.abs(f) >= 65520f) {
        continue;
      }
      int h = Float16.toHalf(f) & 0xffff;
      double err = Math.abs((double) f - Float16.toFloat((short) h));
      for (int n : new int[] {h - 1, h + 1}) {
        if ((n & 0x7c00) == 0x7c00 || n < 0 || ((n ^ h) & 0x8000) != 0) {
          continue; // not a finite neighbour of the same sign
        }
        double other = Math.abs((double) f - Float16.toFloat((short) n));
        assertThat(err).as("%s -> %04x vs %04x", f, h, n).isLessThanOrEqualTo(other);
        if (err == other) {
          assertThat(h & 1).as("tie of %s must go to the even half", f).isZero();
        }
      }
    }
  }

  @Test
  void shouldBoundRelativeErrorOfNormalValues() {
    SplittableRandom rnd = new SplittableRandom(11);
    double worst = 0;
    for (int i = 0; i < 100_000; i++) {
      float f = (float) ((rnd.nextDouble() * 2 - 1) * Math.pow(2, rnd.nextInt(-14, 16)));
      if (Math.abs(f) < 0x1p-14f) {
        continue;
      }
      double rel = Math.abs(Float16.toFloat(Float16.toHalf(f)) - f) / Math.abs(f);
      worst = Math.max(worst, rel);
    }
    System.out.printf("FLOAT16 worst relative error over 100k normal values: %.3e (bound 2^-11 = %.3e)%n",
        worst, Math.pow(2, -11));
    assertThat(worst).isLessThanOrEqualTo(Math.pow(2, -11));
  }

  @Test
  void shouldHandleSpecialValues() {
    assertThat(Float16.toHalf(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7c00);
    assertThat(Float16.toHalf(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xfc00);
    assertThat(Float16.toHalf(-0f)).isEqualTo((short) 0x8000);
    assertThat(Float16.toHalf(65520f)).isEqualTo((short) 0x7c00);
    assertThat(Float16.toHalf(Float16.MAX_VALUE)).isEqualTo((short) 0x7bff);
    assertThat(Float16.toFloat((short) 0x0001)).isEqualTo(Float16.MIN_VALUE);
    assertThat(Float16.overflows(65519f)).isFalse();
    assertThat(Float16.overflows(65520f)).isTrue();
    assertThat(Float16.overflows(Float.POSITIVE_INFINITY)).isFalse();
    // a NaN whose payload lives only in the low bits must stay NaN, not become infinity
    assertThat(Float16.toFloat(Float16.toHalf(Float.intBitsToFloat(0x7f800001)))).isNaN();
  }

  private static boolean isNaNHalf(int h) {
    return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
  }
}
