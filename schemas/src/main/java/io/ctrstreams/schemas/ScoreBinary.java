package io.ctrstreams.schemas;

import java.nio.charset.StandardCharsets;
import org.apache.avro.SchemaNormalization;

/**
 * A direct Avro single-object encoder for {@link Score}, the topology's highest-volume output
 * (one record per candidate), and the Avro primitives {@link ScoreBatch} writes with: exact
 * sizes, then header and body into one array, without Avro's generic writer (field lookups,
 * union resolution, a growing stream and a final copy). Produces exactly the bytes of {@code
 * Score.getEncoder()} for every record (property-tested); a record with a null string field
 * returns null so the caller's Avro path reports it as Avro would. Thread-safe (no state).
 */
final class ScoreBinary {
  private static final long FINGERPRINT = SchemaNormalization.parsingFingerprint64(Score.getClassSchema());

  private ScoreBinary() {}

  /**
   * The single-object encoding of {@code s}, or null when a string field is null. The layout is
   * {@link ScoreBatch}'s (one impression of one score).
   */
  static byte[] encode(Score s) {
    if (s.getEventId() == null || s.getAdId() == null || s.getModelName() == null || s.getVariant() == null) {
      return null;
    }
    ScoreBatch one = new ScoreBatch();
    one.start(s.getEventId(), s.getModelName(), s.getModelVersion(), s.getDeltaSequence(), s.getVariant(),
        s.getTimestampMs(), s.getScoredAtMs());
    return one.encode(s.getAdId(), s.getPctr());
  }

  /** The single-object header (marker and schema fingerprint); returns the next position. */
  static int writeHeader(byte[] out) {
    return AvroBinary.writeHeader(out, FINGERPRINT);
  }

  /** An Avro double: the raw IEEE bits, little endian (NaN payloads kept, as Avro does). */
  static int writeDouble(byte[] out, int p, double d) {
    long bits = Double.doubleToRawLongBits(d);
    for (int i = 0; i < 8; i++) {
      out[p++] = (byte) bits;
      bits >>>= 8;
    }
    return p;
  }

  /** Null for pure ASCII (written char by char), else the UTF-8 bytes as Avro produces them. */
  static byte[] utf8IfNotAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return s.getBytes(StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  static int stringSize(String s, byte[] utf8) {
    int n = utf8 == null ? s.length() : utf8.length;
    return AvroBinary.varLongSize(n) + n;
  }

  static int writeString(byte[] out, int p, String s, byte[] utf8) {
    if (utf8 != null) {
      p = AvroBinary.writeVarLong(out, p, utf8.length);
      System.arraycopy(utf8, 0, out, p, utf8.length);
      return p + utf8.length;
    }
    int n = s.length();
    p = AvroBinary.writeVarLong(out, p, n);
    for (int i = 0; i < n; i++) {
      out[p++] = (byte) s.charAt(i);
    }
    return p;
  }
}
