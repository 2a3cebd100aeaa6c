package io.ctrstreams.model.format;

/**
 * How a tensor's values are stored in a {@code .ctrm} file. In memory every tensor is float32;
 * the narrower encodings trade accuracy for bytes on the wire (the recompressor chooses them per
 * tensor through {@link WriteOptions}). The {@link #code()} is the byte written to the file and
 * must never change for an existing constant.
 */
public enum TensorDtype {
  /** IEEE 754 binary32, little-endian; bit-exact round trip (NaN payloads included). */
  FLOAT32(0),
  /**
   * IEEE 754 binary16, little-endian, converted with round-to-nearest-even; relative error at
   * most 2^-11 for normal values, absolute error at most 2^-25 in the subnormal range.
   */
  FLOAT16(1),
  /**
   * Symmetric int8 with one float32 scale per row (row = index along the first dimension): the
   * payload is {@code rows} little-endian float32 scales followed by the int8 values in row-major
   * order; value = q * scale with q in [-127, 127] and scale = max|row| / 127. Absolute error per
   * element is at most scale / 2 (plus float rounding). Non-finite values cannot be encoded.
   */
  INT8_ROW_SCALED(2);

  private final int code;

  TensorDtype(int code) {
    this.code = code;
  }

  /** The byte written to the file for this dtype. */
  public int code() {
    return code;
  }

  /** The dtype with this code, or {@code null} if none (the caller reports the corruption). */
  public static TensorDtype fromCode(int code) {
    for (TensorDtype d : values()) {
      if (d.code == code) {
        return d;
      }
    }
    return null;
  }

  /**
   * Payload bytes of a tensor of this dtype with {@code elements} values and {@code rows} rows
   * (first dimension).
   */
  public long payloadBytes(long elements, long rows) {
    switch (this) {
      case FLOAT32:
        return 4L * elements;
      case FLOAT16:
        return 2L * elements;
      case INT8_ROW_SCALED:
        return 4L * rows + elements;
      default:
        throw new AssertionError(this);
    }
  }
}
