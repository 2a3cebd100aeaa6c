package io.ctrstreams.schemas;

import org.apache.avro.SchemaNormalization;

/**
 * Writes the label join's input record, a {@link LabelJoinEvent} holding a
 * {@link ServedImpression}, straight from the served impression's Avro bytes: the
 * {@code ServedImpression} fields start with the {@code Impression}'s (eventId, timestampMs, the
 * context map, candidates with adId and feature map), so those bytes are copied as they are and
 * each candidate gets its pctr (and the shadow's) appended, then the model fields. The scoring
 * thread thus neither builds the impression's maps nor runs Avro's writer over them (issue 16:
 * that round trip was a quarter of the compressed model's stream-thread time with labels on).
 * Decodes to exactly the record {@code new LabelJoinEvent(served, null)} the object path builds
 * (property-tested); map entries keep the impression's order. Stateless and thread-safe.
 */
public final class ServedImpressionBinary {
  private static final long IMPRESSION_FINGERPRINT = SchemaNormalization.parsingFingerprint64(Impression.getClassSchema());
  private static final long EVENT_FINGERPRINT = SchemaNormalization.parsingFingerprint64(LabelJoinEvent.getClassSchema());

  private ServedImpressionBinary() {}

  /**
   * The single-object {@code LabelJoinEvent(served, click = null)} for the impression record
   * {@code impression} served with {@code pctr} by {@code modelName} v{@code modelVersion} (and
   * with {@code shadowPctr} by the shadow, when {@code shadowModelName} is not null), or null when
   * {@code impression} is not in the current Impression schema (the caller decodes it then).
   *
   * @throws CodecException {@link DecodeFailure#BAD_AVRO} when the body is truncated or corrupt,
   *     or its candidate count is not {@code pctr.length}
   */
  public static byte[] labelJoinEvent(byte[] impression, float[] pctr, String modelName, long modelVersion,
      String shadowModelName, long shadowModelVersion, float[] shadowPctr) {
    if (!AvroBinary.hasHeader(impression) || AvroBinary.fingerprint(impression) != IMPRESSION_FINGERPRINT) {
      return null;
    }
    int n = pctr.length;
    boolean shadow = shadowModelName != null;
    if (shadow && (shadowPctr == null || shadowPctr.length != n)) {
      throw new IllegalArgumentException("shadow pctrs must match the " + n + " candidates");
    }
    AvroSkipCursor c = new AvroSkipCursor(impression, AvroBinary.HEADER_BYTES, "Impression record body");
    int headStart = c.pos;
    c.skipString(); // eventId
    c.readLong(); // timestampMs
    c.skipFeatureMap(); // context
    int headEnd = c.pos;
    // candidates: remember where each one's (adId, features) bytes lie
    int[] spans = new int[2 * n];
    int seen = 0;
    for (long block = c.readLong(); block != 0; block = c.readLong()) {
      if (block < 0) {
        block = -block;
        c.readLong(); // block size in bytes
      }
      if (block > n - seen) {
        throw c.corrupt("more candidates than the " + n + " scored");
      }
      for (long i = 0; i < block; i++) {
        spans[2 * seen] = c.pos;
        c.skipString(); // adId
        c.skipFeatureMap(); // features
        spans[2 * seen + 1] = c.pos;
        seen++;
      }
    }
    if (seen != n) {
      throw c.corrupt(seen + " candidates, " + n + " scored");
    }
    if (c.pos != impression.length) {
      throw c.corrupt((impression.length - c.pos) + " bytes after the record");
    }
    byte[] m = ScoreBinary.utf8IfNotAscii(modelName);
    byte[] sm = shadow ? ScoreBinary.utf8IfNotAscii(shadowModelName) : null;
    int size = AvroBinary.HEADER_BYTES + 1 + (headEnd - headStart) + (n > 0 ? AvroBinary.varLongSize(n) : 0) + 1
        + ScoreBinary.stringSize(modelName, m) + AvroBinary.varLongSize(modelVersion) + 1 + 1 + 1 + 1;
    for (int i = 0; i < n; i++) {
      size += spans[2 * i + 1] - spans[2 * i] + 8 + 1 + (shadow ? 8 : 0);
    }
    if (shadow) {
      size += ScoreBinary.stringSize(shadowModelName, sm) + AvroBinary.varLongSize(shadowModelVersion);
    }
    byte[] out = new byte[size];
    int p = AvroBinary.writeHeader(out, EVENT_FINGERPRINT);
    out[p++] = 2; // served: union branch 1 (ServedImpression)
    System.arraycopy(impression, headStart, out, p, headEnd - headStart);
    p += headEnd - headStart;
    if (n > 0) {
      p = AvroBinary.writeVarLong(out, p, n);
      for (int i = 0; i < n; i++) {
        int len = spans[2 * i + 1] - spans[2 * i];
        System.arraycopy(impression, spans[2 * i], out, p, len);
        p = ScoreBinary.writeDouble(out, p + len, pctr[i]);
        if (shadow) {
          out[p++] = 2; // shadowPctr: branch 1 (double)
          p = ScoreBinary.writeDouble(out, p, shadowPctr[i]);
        } else {
          out[p++] = 0; // null
        }
      }
    }
    out[p++] = 0; // end of candidates
    p = ScoreBinary.writeString(out, p, modelName, m);
    p = AvroBinary.writeVarLong(out, p, modelVersion);
    if (shadow) {
      out[p++] = 2;
      p = ScoreBinary.writeString(out, p, shadowModelName, sm);
      out[p++] = 2;
      p = AvroBinary.writeVarLong(out, p, shadowModelVersion);
    } else {
      out[p++] = 0;
      out[p++] = 0;
    }
    out[p++] = 0; // source: null (the topology's own path; ctr serve's log writes "rpc" by the object path)
    out[p++] = 0; // click: null
    if (p != out.length) {
      throw new IllegalStateException("wrote " + p + " of " + out.length + " bytes");
    }
    return out;
  }
}
