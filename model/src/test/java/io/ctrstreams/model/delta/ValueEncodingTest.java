package io.ctrstreams.model.delta;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ValueEncodingTest {

  @Test
  void everyHalfShouldRoundTripThroughFloat() {
    for (int h = 0; h < 0x10000; h++) {
      float f = ValueEncoding.halfToFloat((short) h);
      if (Float.isNaN(f)) {
        assertThat(Float.isNaN(ValueEncoding.halfToFloat(ValueEncoding.floatToHalf(f)))).isTrue();
      } else {
        assertThat(ValueEncoding.floatToHalf(f) & 0xffff).as("half %04x", h).isEqualTo(h);
      }
    }
  }

  @Test
  void shouldRoundLikeNumpy() {
    // numpy: np.float32(v).astype(np.float16).view(np.uint16)
    float[] v = {0f, 1f, -2.5f, 65504f, 65520f, 65519.99f, 1e-8f, 5.96e-8f, 2.98e-8f, 2.99e-8f, 6.1e-5f, 6.09e-5f,
        0.1f, 0.3333333f, -1234.567f, 3.0517578e-05f, 1.00048828125f, 1.000732421875f};
    int[] half = {0x0, 0x3c00, 0xc100, 0x7bff, 0x7c00, 0x7bff, 0x0, 0x1, 0x0, 0x1, 0x3ff, 0x3fe, 0x2e66, 0x3555, 0xe4d3,
        0x200, 0x3c00, 0x3c01};
    for (int i = 0; i < v.length; i++) {
      assertThat(ValueEncoding.floatToHalf(v[i]) & 0xffff).as("%s", v[i]).isEqualTo(half[i]);
    }
    assertThat(ValueEncoding.FP32.round(0.1f)).isEqualTo(0.1f);
    assertThat(ValueEncoding.FP16.round(0.1f)).isEqualTo(0.0999755859375f);
  }

  @Test
  void shouldQuantizeAGroupLikeNumpy() {
    // numpy: s = bf16(max|r| / 3) (round to nearest even on the float32 bits), q = clip(rint(r / s), -3, 3), v = q * s
    float[] r = {0.3f, -0.1f, 0.05f, -0.29f};
    float[] out = new float[6];
    float s = ValueEncoding.INT3.quantize(r, 0, 4, out, 1);
    assertThat(s).isEqualTo(0.10009765625f);
    assertThat(out).containsExactly(0f, 0.30029296875f, -0.10009765625f, 0f, -0.30029296875f, 0f);
    assertThat(ValueEncoding.INT3.quantize(new float[3], 0, 3, out, 0)).isZero();
    assertThat(ValueEncoding.INT3.quantize(new float[] {1e-38f, -2e-39f}, 0, 2, out, 0)).isZero(); // subnormal scale
    assertThat(out[0]).isZero();
    assertThat(ValueEncoding.bfloat16(0.1f)).isEqualTo(0.10009765625f);
    assertThat(ValueEncoding.INT3.levels()).isEqualTo(3);
    assertThat(ValueEncoding.INT8.levels()).isEqualTo(127);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ValueEncoding.INT4.round(1f))
        .isInstanceOf(IllegalStateException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(ValueEncoding.INT2::bytesPerValue)
        .isInstanceOf(IllegalStateException.class);
  }

  /** The largest integer of a quantized group is exactly L (what lets the wire codec recover the scale). */
  @net.jqwik.api.Property(tries = 500)
  void theLargestIntegerShouldBeTheLevelCount(@net.jqwik.api.ForAll long seed, @net.jqwik.api.ForAll ValueEncoding enc) {
    if (!enc.quantized()) {
      return;
    }
    java.util.Random rnd = new java.util.Random(seed);
    int n = 1 + rnd.nextInt(40);
    float[] r = new float[n];
    for (int i = 0; i < n; i++) {
      r[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(80) - 45)); // subnormal to 1e35
    }
    float[] out = new float[n];
    float s = enc.quantize(r, 0, n, out, 0);
    if (s == 0) {
      assertThat(out).containsOnly(0f);
      return;
    }
    float m = 0;
    for (int i = 0; i < n; i++) {
      float q = out[i] / s;
      assertThat(q).isEqualTo((float) Math.rint(q));
      assertThat(Math.abs(q)).isLessThanOrEqualTo(enc.levels());
      assertThat(Math.abs(r[i] - out[i])).isLessThanOrEqualTo(s / 2 * 1.01f);
      m = Math.max(m, Math.abs(out[i]));
    }
    assertThat(m).isEqualTo(enc.levels() * s);
  }
}
