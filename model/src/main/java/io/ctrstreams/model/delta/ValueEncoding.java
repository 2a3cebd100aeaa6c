package io.ctrstreams.model.delta;

/**
 * How a delta's values travel ({@code Q}). Encoding rounds each value once; the producer applies
 * the rounded value, so what consumers decode is exactly what the producer added, and the
 * rounding error stays in the residual (error feedback).
 */
public enum ValueEncoding {
  /** IEEE binary32, 4 bytes per value, exact. */
  FP32(4),
  /** IEEE binary16, 2 bytes per value, round to nearest even; magnitudes above 65504 become infinite. */
  FP16(2);

  private final int bytes;

  ValueEncoding(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per value on the wire. */
  public int bytesPerValue() {
    return bytes;
  }

  /** {@code v} as it arrives: unchanged for FP32, rounded to the nearest binary16 for FP16. */
  public float round(float v) {
    return this == FP32 ? v : halfToFloat(floatToHalf(v));
  }

  /** The binary16 bits nearest to {@code f} (round to nearest even; NaN stays NaN). */
  public static short floatToHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) { // inf or NaN
      return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) { // overflow: infinity
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) { // subnormal half or zero
      if (e < -10) {
        return (short) sign; // rounds to zero (below half the smallest subnormal)
      }
      int m = mant | 0x800000; // implicit bit
      int shift = 14 - e; // 24-bit significand down to the subnormal's 10 bits
      int half = m >>> shift;
      int rem = m & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >>> 13);
    int rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
      half++; // may carry into the exponent, up to infinity: still correct
    }
    return (short) (sign | half);
  }

  /** The float value of binary16 bits {@code h} (exact). */
  public static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f; // subnormal (or zero): exact in float
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }
}
