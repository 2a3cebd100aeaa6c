package io.ctrstreams.schemas;

import java.util.Objects;

/**
 * Encodes the {@link Score}s of one impression, one per candidate, without a {@code Score}
 * object each: the fields every score of the impression shares (event id, model name and
 * version, variant, timestamps) are encoded once by {@link #start}, and {@link #encode} adds
 * only the ad id and pctr. Gives exactly the bytes of {@code Schemas.SCORE.encode(new Score(...))}
 * (and so of Avro's encoder; property-tested).
 *
 * <p>Reused across impressions by one thread (not thread-safe); every {@link #encode} returns a
 * new array, as a producer record's value must not change after it is sent.
 */
public final class ScoreBatch {
  // the Score schema's field order: eventId, adId, pctr, modelName, modelVersion, variant, timestampMs, scoredAtMs,
  // deltaSequence
  private byte[] head = new byte[64]; // header + eventId
  private int headLength;
  private byte[] tail = new byte[64]; // modelName .. scoredAtMs
  private int tailLength;
  private boolean started;

  /** Starts the scores of one impression by a version as published (delta sequence 0). */
  public void start(String eventId, String modelName, long modelVersion, String variant, long timestampMs,
      long scoredAtMs) {
    start(eventId, modelName, modelVersion, 0, variant, timestampMs, scoredAtMs);
  }

  /** Starts the scores of one impression; the strings must not be null. */
  public void start(String eventId, String modelName, long modelVersion, long deltaSequence, String variant,
      long timestampMs, long scoredAtMs) {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(variant, "variant");
    byte[] e = ScoreBinary.utf8IfNotAscii(eventId);
    int headSize = AvroBinary.HEADER_BYTES + ScoreBinary.stringSize(eventId, e);
    if (head.length < headSize) {
      head = new byte[headSize];
    }
    int p = ScoreBinary.writeHeader(head);
    headLength = ScoreBinary.writeString(head, p, eventId, e);

    byte[] m = ScoreBinary.utf8IfNotAscii(modelName);
    byte[] v = ScoreBinary.utf8IfNotAscii(variant);
    int tailSize = ScoreBinary.stringSize(modelName, m) + AvroBinary.varLongSize(modelVersion)
        + ScoreBinary.stringSize(variant, v) + AvroBinary.varLongSize(timestampMs) + AvroBinary.varLongSize(scoredAtMs)
        + AvroBinary.varLongSize(deltaSequence);
    if (tail.length < tailSize) {
      tail = new byte[tailSize];
    }
    p = ScoreBinary.writeString(tail, 0, modelName, m);
    p = AvroBinary.writeVarLong(tail, p, modelVersion);
    p = ScoreBinary.writeString(tail, p, variant, v);
    p = AvroBinary.writeVarLong(tail, p, timestampMs);
    p = AvroBinary.writeVarLong(tail, p, scoredAtMs);
    tailLength = AvroBinary.writeVarLong(tail, p, deltaSequence);
    started = true;
  }

  /** The single-object encoding of the started impression's Score for {@code adId} with {@code pctr}. */
  public byte[] encode(String adId, double pctr) {
    if (!started) {
      throw new IllegalStateException("encode before start");
    }
    Objects.requireNonNull(adId, "adId");
    byte[] a = ScoreBinary.utf8IfNotAscii(adId);
    byte[] out = new byte[headLength + ScoreBinary.stringSize(adId, a) + 8 + tailLength];
    System.arraycopy(head, 0, out, 0, headLength);
    int p = ScoreBinary.writeString(out, headLength, adId, a);
    p = ScoreBinary.writeDouble(out, p, pctr);
    System.arraycopy(tail, 0, out, p, tailLength);
    return out;
  }

  @Override
  public String toString() {
    return "ScoreBatch{head=" + headLength + " B, tail=" + tailLength + " B, started=" + started + "}";
  }
}
