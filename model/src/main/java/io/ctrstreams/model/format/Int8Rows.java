package io.ctrstreams.model.format;

import io.ctrstreams.model.CtrModelException;

/**
 * Symmetric per-row int8 quantization used by {@link TensorDtype#INT8_ROW_SCALED}: scale =
 * max|row| / 127, q = round(x / scale) clamped to [-127, 127], x' = q * scale. -128 is never
 * produced, which keeps the code symmetric and lets the reader reject it as corruption.
 */
final class Int8Rows {
  private Int8Rows() {}

  static float[] scales(String tensor, float[] data, int rows, int rowLen) {
    float[] scales = new float[rows];
    for (int r = 0; r < rows; r++) {
      float max = 0f;
      for (int j = r * rowLen, end = j + rowLen; j < end; j++) {
        float v = data[j];
        if (!Float.isFinite(v)) {
          throw new CtrModelException(
              "tensor " + tensor + " value " + v + " at index " + j
                  + " cannot be stored as INT8_ROW_SCALED; store it as FLOAT32");
        }
        max = Math.max(max, Math.abs(v));
      }
      scales[r] = max / 127f;
    }
    return scales;
  }

  static byte quantize(float v, float scale) {
    if (scale == 0f) {
      return 0;
    }
    // divide rather than multiply by 1/scale: for a subnormal scale the reciprocal overflows
    int q = Math.round(v / scale);
    return (byte) Math.max(-127, Math.min(127, q));
  }
}
