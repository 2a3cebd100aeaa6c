package io.ctrstreams.model.format;

/**
 * IEEE 754 binary16 ("half") conversions. Java 17 has no {@code Float.floatToFloat16} (added in
 * 20), so the conversion is implemented here: float to half rounds to nearest, ties to even
 * (what numpy's {@code astype(float16)} does), overflowing to infinity; NaN stays NaN (quiet,
 * top payload bits kept). Half to float is exact and uses a 65536-entry table.
 */
public final class Float16 {
  /** Largest finite half value. */
  public static final float MAX_VALUE = 65504f;

  /** Smallest positive (subnormal) half value, 2^-24. */
  public static final float MIN_VALUE = 0x1p-24f;

  private Float16() {}

  /** The binary16 bits nearest to {@code f} (round to nearest, ties to even). */
  public static short toHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) {
      // infinity keeps its sign; NaN keeps its top 9 payload bits and is forced quiet so that
      // it cannot collapse into infinity
      return (short) (mant == 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) {
      // half subnormal: value / 2^-24 = m24 * 2^(e - 14); below 2^-25 everything rounds to zero
      if (e < -10) {
        return (short) sign;
      }
      int m24 = mant | 0x800000;
      int shift = 14 - e;
      int q = m24 >>> shift;
      int rem = m24 & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (rem > halfway || (rem == halfway && (q & 1) == 1)) {
        q++; // may carry into the smallest normal, 0x0400, which is the correct encoding
      }
      return (short) (sign | q);
    }
    int q = (e << 10) | (mant >>> 13);
    int rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (q & 1) == 1)) {
      q++; // a carry out of the mantissa bumps the exponent, up to infinity (0x7c00)
    }
    return (short) (sign | q);
  }

  /** The float value of the binary16 bits {@code h} (exact). */
  public static float toFloat(short h) {
    return Table.VALUES[h & 0xffff];
  }

  /** Whether {@code f} is finite but rounds to an infinite half. */
  public static boolean overflows(float f) {
    return Float.isFinite(f) && Float.isInfinite(toFloat(toHalf(f)));
  }

  static float decode(int h) {
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0) {
      // zero or subnormal: mant * 2^-24 is exact in float
      float v = mant * MIN_VALUE;
      return sign != 0 ? -v : v;
    }
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /** Lazily built decode table (256 KiB), so classes that only encode do not pay for it. */
  private static final class Table {
    static final float[] VALUES = new float[1 << 16];

    static {
      for (int h = 0; h < VALUES.length; h++) {
        VALUES[h] = decode(h);
      }
    }
  }
}
