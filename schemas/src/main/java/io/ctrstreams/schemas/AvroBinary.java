package io.ctrstreams.schemas;

/**
 * Avro's binary primitives for the direct encoders (Score batches, model chunks, the load
 * generator's impressions): zig-zag varints (Avro {@code int} and {@code long}) and the
 * single-object header. Encoders size their output exactly with these, then write it once.
 */
public final class AvroBinary {
  /** Length of the single-object header: marker {@code C3 01} and the 8-byte schema fingerprint. */
  public static final int HEADER_BYTES = 10;

  private AvroBinary() {}

  /** Bytes of {@code n} as an Avro long (or int) varint. */
  public static int varLongSize(long n) {
    long z = (n << 1) ^ (n >> 63);
    int size = 1;
    while ((z & ~0x7FL) != 0) {
      size++;
      z >>>= 7;
    }
    return size;
  }

  /** Writes {@code n} as an Avro long (or int) varint at {@code p}; returns the next position. */
  public static int writeVarLong(byte[] out, int p, long n) {
    long z = (n << 1) ^ (n >> 63);
    while ((z & ~0x7FL) != 0) {
      out[p++] = (byte) ((z & 0x7F) | 0x80);
      z >>>= 7;
    }
    out[p++] = (byte) z;
    return p;
  }

  /** True when {@code bytes} starts with a whole single-object header (marker and fingerprint). */
  public static boolean hasHeader(byte[] bytes) {
    return bytes != null && bytes.length >= HEADER_BYTES && bytes[0] == (byte) 0xC3 && bytes[1] == (byte) 0x01;
  }

  /** The schema fingerprint of a single-object header (check {@link #hasHeader} first). */
  public static long fingerprint(byte[] bytes) {
    long f = 0;
    for (int i = HEADER_BYTES - 1; i >= 2; i--) {
      f = (f << 8) | (bytes[i] & 0xffL);
    }
    return f;
  }

  /** Writes the single-object header for a schema with {@code fingerprint}; returns {@link #HEADER_BYTES}. */
  public static int writeHeader(byte[] out, long fingerprint) {
    out[0] = (byte) 0xC3;
    out[1] = (byte) 0x01;
    long f = fingerprint;
    for (int i = 2; i < HEADER_BYTES; i++) {
      out[i] = (byte) f;
      f >>>= 8;
    }
    return HEADER_BYTES;
  }
}
