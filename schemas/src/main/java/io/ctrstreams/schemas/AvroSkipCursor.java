package io.ctrstreams.schemas;

/**
 * Walks the Avro binary body of a record without decoding it, checking every length against the
 * bytes left, so the byte paths ({@link ServedImpressionBinary}, {@link LabelJoinBinary}) can find
 * the spans they copy and refuse truncated or corrupt input with {@link DecodeFailure#BAD_AVRO}.
 */
final class AvroSkipCursor {
  final byte[] b;
  int pos;
  private final String what;

  /**
   * @param pos where the body starts
   * @param what the record named in error messages, e.g. "LabelJoinEvent record"
   */
  AvroSkipCursor(byte[] b, int pos, String what) {
    this.b = b;
    this.pos = pos;
    this.what = what;
  }

  /** A zig-zag varint long. */
  long readLong() {
    long raw = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= b.length) {
        throw corrupt("truncated varint");
      }
      int x = b[pos++] & 0xff;
      raw |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    throw corrupt("invalid long encoding");
  }

  void skip(int n) {
    if (b.length - pos < n) {
      throw corrupt("truncated value of " + n + " bytes");
    }
    pos += n;
  }

  void skipString() {
    long len = readLong();
    if (len < 0 || len > b.length - pos) {
      throw corrupt("string length " + len);
    }
    pos += (int) len;
  }

  /** A union {null, fixed-size value of {@code bytes}} (a double or a float). */
  void skipNullable(int bytes) {
    if (branch() == 1) {
      skip(bytes);
    }
  }

  void skipNullableString() {
    if (branch() == 1) {
      skipString();
    }
  }

  void skipNullableLong() {
    if (branch() == 1) {
      readLong();
    }
  }

  private long branch() {
    long br = readLong();
    if (br != 0 && br != 1) {
      throw corrupt("union branch " + br);
    }
    return br;
  }

  /** A map of union {string, double}. */
  void skipFeatureMap() {
    for (long block = readLong(); block != 0; block = readLong()) {
      if (block < 0) {
        block = -block;
        readLong();
      }
      if (block > b.length - pos) { // an entry takes at least 2 bytes
        throw corrupt("map block of " + block + " entries");
      }
      for (long i = 0; i < block; i++) {
        skipString();
        long br = readLong();
        if (br == 0) {
          skipString();
        } else if (br == 1) {
          skip(8);
        } else {
          throw corrupt("union branch " + br);
        }
      }
    }
  }

  CodecException corrupt(String why) {
    return new CodecException(DecodeFailure.BAD_AVRO, what + " is corrupt or truncated (" + b.length
        + " bytes): " + why + " at byte " + pos);
  }
}
