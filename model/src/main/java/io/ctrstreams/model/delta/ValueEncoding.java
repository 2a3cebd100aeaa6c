package io.ctrstreams.model.delta;

/**
 * How a delta's values travel ({@code Q}). Encoding rounds each value once; the producer applies
 * the rounded value, so what consumers decode is exactly what the producer added, and the
 * rounding error stays in the residual (error feedback).
 *
 * <p>The {@code INT}<i>b</i> encodings are quantized: a chain using them sends groups (the rows of
 * an embedding table; aligned blocks of {@link #BLOCK} elements of any other tensor), each as
 * signed {@code b}-bit integers {@code q} in {@code [-L, L]}, {@code L = 2^(b-1) - 1}, times one
 * bfloat16 scale {@code s} per group: {@link #quantize} picks {@code s = bf16(max|r| / L)} and
 * {@code q = round(r / s)}, and the value added is the float product {@code q * s}, which both
 * sides compute the same way. Fewer bits per value let the same bytes carry more values (issue
 * 14: BENCHMARKS.md section 6.2). Under {@link GroupScale#LOG4} the scale is instead a 4-bit code
 * below one bfloat16 maximum per tensor delta ({@link #codedMaximum}, {@link #quantizeCoded},
 * {@link #codedScale}; section 6.3).
 */
public enum ValueEncoding {
  /** IEEE binary32, 4 bytes per value, exact. */
  FP32(32, false),
  /** IEEE binary16, 2 bytes per value, round to nearest even; magnitudes above 65504 become infinite. */
  FP16(16, false),
  /** 8-bit integers and a bfloat16 scale per group. */
  INT8(8, true),
  /** 4-bit integers and a bfloat16 scale per group. */
  INT4(4, true),
  /** 3-bit integers and a bfloat16 scale per group. */
  INT3(3, true),
  /** 2-bit integers (-1, 0, 1) and a bfloat16 scale per group. */
  INT2(2, true);

  /** Elements per group of a tensor that is not an embedding table, under a quantized encoding. */
  public static final int BLOCK = 32;

  private final int bits;
  private final boolean quantized;

  ValueEncoding(int bits, boolean quantized) {
    this.bits = bits;
    this.quantized = quantized;
  }

  /** Bits per value on the wire (a quantized group also carries a 2-byte scale). */
  public int bits() {
    return bits;
  }

  /** Whether values travel as integers times a per-group scale. */
  public boolean quantized() {
    return quantized;
  }

  /**
   * Bytes per value on the wire of a float encoding.
   *
   * @throws IllegalStateException for a quantized encoding (its values travel in groups)
   */
  public int bytesPerValue() {
    if (quantized) {
      throw new IllegalStateException(this + " values travel in groups of integers with a scale, not one by one");
    }
    return bits / 8;
  }

  /** The largest integer magnitude {@code L = 2^(bits-1) - 1} of a quantized encoding. */
  public int levels() {
    return (1 << (bits - 1)) - 1;
  }

  /** {@code v} as it arrives: unchanged for FP32, rounded to the nearest binary16 for FP16. */
  public float round(float v) {
    if (quantized) {
      throw new IllegalStateException(this + " rounds groups (quantize), not single values");
    }
    return this == FP32 ? v : halfToFloat(floatToHalf(v));
  }

  /**
   * Quantizes one group: {@code out[o + i] = q_i * s} for {@code r[from + i]}, {@code i < n},
   * with {@code s = bf16(max|r| / L)} and {@code q_i = clamp(round(r_i / s), -L, L)}; returns
   * {@code s} (0, with outputs all 0, for a group whose scale would be 0 or subnormal). The largest {@code |q|} is
   * exactly {@code L} whenever {@code s > 0} (bfloat16's relative error, 2^-9, moves {@code
   * max|r| / s} by less than 0.5), which lets a decoder check a group.
   */
  public float quantize(float[] r, int from, int n, float[] out, int o) {
    float m = maxAbs(r, from, n);
    int levels = levels();
    float s = bfloat16(m / levels);
    if (!Float.isFinite(s)) {
      s = Float.intBitsToFloat(0x7f7f0000); // the largest finite bfloat16
    } else if (s < Float.MIN_NORMAL) {
      s = 0; // a subnormal scale has too few bits to keep max|q| = L: such a group (max|r| below about 1e-36) stays in the residual
    }
    roundTo(r, from, n, s, levels, out, o);
    return s;
  }

  /** Codes of a {@link GroupScale#LOG4} scale: {@code 0 .. LOG4_CODES - 1}. */
  public static final int LOG4_CODES = 16;

  /**
   * {@code 2^(-k/2)} for the {@link GroupScale#LOG4} codes: powers of two, and powers of two times
   * the float nearest sqrt(1/2); constants, so producer and consumers multiply by the same floats.
   */
  private static final float[] LOG4_STEPS = new float[LOG4_CODES];

  static {
    for (int k = 0; k < LOG4_CODES; k++) {
      float p = Math.scalb(1f, -(k / 2));
      LOG4_STEPS[k] = (k & 1) == 0 ? p : p * 0.70710677f;
    }
  }

  /** The scale of {@link GroupScale#LOG4} code {@code k} under tensor maximum {@code max}: {@code max * 2^(-k/2)}, one float product. */
  public static float codedScale(float max, int k) {
    return max * LOG4_STEPS[k];
  }

  /**
   * The tensor maximum of a {@link GroupScale#LOG4} delta whose groups need scales up to {@code
   * need} ({@code max|r| / L} of its largest group): {@code need} rounded up to a bfloat16, so no
   * group's integers clip; the largest finite bfloat16 for a non-finite or huge {@code need}, 0
   * when it would be subnormal (the groups then stay in the residual, as under {@link #quantize}).
   */
  public static float codedMaximum(float need) {
    if (!(need < Float.MAX_VALUE)) {
      return Float.intBitsToFloat(0x7f7f0000);
    }
    float b = bfloat16(need);
    if (b < need) {
      b = Float.intBitsToFloat(Float.floatToRawIntBits(b) + 0x10000);
    }
    if (!Float.isFinite(b)) {
      return Float.intBitsToFloat(0x7f7f0000);
    }
    return b < Float.MIN_NORMAL ? 0 : b;
  }

  /**
   * Quantizes one group under a {@link GroupScale#LOG4} tensor maximum {@code max} (from {@link
   * #codedMaximum}): picks the largest code {@code k} whose scale {@code s = codedScale(max, k)} is
   * at least {@code max|r| / L} (the last code when none is that small), writes {@code out[o + i]
   * = q_i * s} with {@code q_i = clamp(round(r_i / s), -L, L)}, and returns {@code k}. With {@code
   * max} 0 the outputs are 0 (code {@code LOG4_CODES - 1}).
   */
  public int quantizeCoded(float[] r, int from, int n, float[] out, int o, float max) {
    float m = maxAbs(r, from, n);
    int levels = levels();
    float need = m / levels;
    int k = LOG4_CODES - 1;
    while (k > 0 && codedScale(max, k) < need) {
      k--;
    }
    float s = codedScale(max, k);
    roundTo(r, from, n, s, levels, out, o);
    return k;
  }

  /** {@code max |r[from + i]|} over the group, after checking this encoding is quantized. */
  private float maxAbs(float[] r, int from, int n) {
    if (!quantized) {
      throw new IllegalStateException(this + " is not a quantized encoding");
    }
    float m = 0;
    for (int i = 0; i < n; i++) {
      m = Math.max(m, Math.abs(r[from + i]));
    }
    return m;
  }

  /** {@code out[o + i] = q_i * s}, {@code q_i} = {@code r[from + i] / s} rounded and clamped to +-levels; 0 when s is 0. */
  private static void roundTo(float[] r, int from, int n, float s, int levels, float[] out, int o) {
    for (int i = 0; i < n; i++) {
      if (s == 0) {
        out[o + i] = 0;
      } else {
        int q = Math.max(-levels, Math.min(levels, Math.round(r[from + i] / s)));
        out[o + i] = q * s;
      }
    }
  }

  /** {@code f} rounded to the nearest bfloat16 (ties to even), as a float. */
  public static float bfloat16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7f800000) == 0x7f800000) {
      return f; // inf, NaN
    }
    bits += 0x7fff + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(bits & 0xffff0000);
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
