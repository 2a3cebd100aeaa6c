package io.ctrstreams.model.format;

import io.ctrstreams.model.CtrModelException;

/**
 * Limits applied by {@link CtrmFormat#read} before anything is allocated, so a forged or corrupt
 * header cannot make the reader allocate more than the input justifies. Every declared size is
 * also checked against the bytes actually remaining, so these caps matter mostly for honest but
 * unexpectedly large files.
 *
 * @param maxBytes largest accepted file, in bytes (at most {@link #MAX_IN_MEMORY_BYTES}: files
 *     are decoded from one in-memory array)
 * @param maxTensorElements largest accepted element count of one tensor
 * @param maxStringBytes largest accepted UTF-8 length of one string (spec JSON included)
 */
public record ReadOptions(long maxBytes, long maxTensorElements, int maxStringBytes) {
  /** The largest byte array the JVM reliably allocates. */
  public static final long MAX_IN_MEMORY_BYTES = Integer.MAX_VALUE - 8;

  private static final ReadOptions DEFAULTS =
      new ReadOptions(MAX_IN_MEMORY_BYTES, 1L << 28, 64 << 20);

  /** Validates the limits. */
  public ReadOptions {
    if (maxBytes < 1 || maxBytes > MAX_IN_MEMORY_BYTES) {
      throw new CtrModelException(
          "maxBytes must be in [1, " + MAX_IN_MEMORY_BYTES + "], found " + maxBytes);
    }
    // a tensor's float[] cannot exceed the JVM array limit whatever the caller asks for
    if (maxTensorElements < 1 || maxTensorElements > Integer.MAX_VALUE - 8) {
      throw new CtrModelException(
          "maxTensorElements must be in [1, " + (Integer.MAX_VALUE - 8) + "], found "
              + maxTensorElements);
    }
    if (maxStringBytes < 0) {
      throw new CtrModelException("maxStringBytes must be >= 0, found " + maxStringBytes);
    }
  }

  /** About 2 GiB per file, 2^28 elements (1 GiB of float32) per tensor, 64 MiB per string. */
  public static ReadOptions defaults() {
    return DEFAULTS;
  }

  public ReadOptions withMaxBytes(long value) {
    return new ReadOptions(value, maxTensorElements, maxStringBytes);
  }

  public ReadOptions withMaxTensorElements(long value) {
    return new ReadOptions(maxBytes, value, maxStringBytes);
  }

  public ReadOptions withMaxStringBytes(int value) {
    return new ReadOptions(maxBytes, maxTensorElements, value);
  }
}
