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
}
