package io.ctrstreams.schemas;

import org.apache.avro.SchemaNormalization;

/**
 * The numeric fields of a single-object encoded {@link Score} (pctr, model version, event and
 * scoring times) read straight from the bytes, the strings skipped: for consumers that count or
 * time scores at full rate (the load test's readers) without Avro's generic reader, which builds
 * every string and resolves every field (most of such a consumer's CPU). Gives exactly the values
 * {@code Schemas.SCORE.decode} gives (property-tested). Also reads an {@link ImpressionScores}
 * record ({@code scores.format=per-impression}): the same fields, {@link #candidates} its number
 * of candidates and {@link #pctr} the first one's. Reusable; not thread-safe.
 */
public final class ScoreFields {
  private static final long FINGERPRINT = SchemaNormalization.parsingFingerprint64(Score.getClassSchema());
  /** Scores written before {@code deltaSequence}. */
  private static final long FINGERPRINT_V1 = SchemaNormalization.parsingFingerprint64(Schemas.SCORE_V1);
  private static final long IMPRESSION_FINGERPRINT =
      SchemaNormalization.parsingFingerprint64(ImpressionScores.getClassSchema());

  private byte[] b;
  private int pos;
  private double pctr;
  private long modelVersion;
  private long timestampMs;
  private long scoredAtMs;
  private long deltaSequence;
  private int candidates;

  /**
   * Reads {@code bytes}; returns this.
   *
   * @throws CodecException {@link DecodeFailure#UNKNOWN_SCHEMA} for another schema's header,
   *     {@link DecodeFailure#BAD_AVRO} for a bad header or a truncated or corrupt body
   */
  public ScoreFields read(byte[] bytes) {
    if (!AvroBinary.hasHeader(bytes)) {
      throw new CodecException(DecodeFailure.BAD_AVRO, "not an Avro single-object Score record");
    }
    long f = AvroBinary.fingerprint(bytes);
    if (f != FINGERPRINT && f != FINGERPRINT_V1 && f != IMPRESSION_FINGERPRINT) {
      throw new CodecException(DecodeFailure.UNKNOWN_SCHEMA,
          "schema fingerprint " + Long.toHexString(f) + " is not Score's " + Long.toHexString(FINGERPRINT)
              + " nor ImpressionScores' " + Long.toHexString(IMPRESSION_FINGERPRINT));
    }
    b = bytes;
    pos = AvroBinary.HEADER_BYTES;
    try {
      if (f == IMPRESSION_FINGERPRINT) {
        readImpression();
        return this;
      }
      candidates = 1;
      skipString(); // eventId
      skipString(); // adId
      pctr = readDouble();
      skipString(); // modelName
      modelVersion = readLong();
      skipString(); // variant
      timestampMs = readLong();
      scoredAtMs = readLong();
      deltaSequence = f == FINGERPRINT ? readLong() : 0;
    } finally {
      b = null;
    }
    return this;
  }

  /**
   * The ImpressionScores body after the header: eventId, modelName, modelVersion, deltaSequence,
   * variant, timestampMs, scoredAtMs, then the array of (adId, pctr) in blocks.
   */
  private void readImpression() {
    skipString(); // eventId
    skipString(); // modelName
    modelVersion = readLong();
    deltaSequence = readLong();
    skipString(); // variant
    timestampMs = readLong();
    scoredAtMs = readLong();
    pctr = Double.NaN;
    long n = 0;
    for (long block = readLong(); block != 0; block = readLong()) {
      if (block < 0) {
        block = -block;
        readLong(); // the block's size in bytes
      }
      if (block > b.length - pos) { // every item takes at least 9 bytes
        throw corrupt("array block of " + block + " items");
      }
      for (long i = 0; i < block; i++) {
        skipString(); // adId
        double p = readDouble();
        if (n == 0) {
          pctr = p;
        }
        n++;
      }
    }
    candidates = (int) n;
  }

  /**
   * The candidates this record scores: 1 for a Score, the array's length for an ImpressionScores.
   */
  public int candidates() {
    return candidates;
  }

  /** The predicted CTR (of the first candidate for an ImpressionScores; NaN when it has none). */
  public double pctr() {
    return pctr;
  }

  /** The version of the model that scored. */
  public long modelVersion() {
    return modelVersion;
  }

  /** The impression's event time (ms). */
  public long timestampMs() {
    return timestampMs;
  }

  /** Sequence of the last delta applied on top of the model version when it scored (0 = as published). */
  public long deltaSequence() {
    return deltaSequence;
  }

  /** When the topology scored it (ms). */
  public long scoredAtMs() {
    return scoredAtMs;
  }

  private void skipString() {
    long len = readLong();
    if (len < 0 || len > b.length - pos) {
      throw corrupt("string length " + len);
    }
    pos += (int) len;
  }

  private double readDouble() {
    if (b.length - pos < 8) {
      throw corrupt("truncated double");
    }
    long bits = 0;
    for (int i = 7; i >= 0; i--) {
      bits = (bits << 8) | (b[pos + i] & 0xffL);
    }
    pos += 8;
    return Double.longBitsToDouble(bits);
  }

  private long readLong() {
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

  private CodecException corrupt(String what) {
    return new CodecException(DecodeFailure.BAD_AVRO, "Score record body is corrupt or truncated (" + b.length
        + " bytes): " + what + " at byte " + pos);
  }
}
