package io.ctrstreams.schemas;

import java.util.Objects;
import org.apache.avro.SchemaNormalization;

/**
 * Encodes one {@link ImpressionScores} record (all candidates' pCTRs of one impression) without
 * building it: {@link #start} writes the shared fields once, {@link #add} appends a candidate,
 * {@link #finish} returns exactly the bytes of {@code ImpressionScores.getEncoder()} for the same
 * record (property-tested). The array goes out as one block. Reused across impressions by one
 * thread (not thread-safe); each {@link #finish} returns a new array.
 */
public final class ImpressionScoresBatch {
  private static final long FINGERPRINT = SchemaNormalization.parsingFingerprint64(ImpressionScores.getClassSchema());

  private byte[] head = new byte[128];
  private int headLength;
  private byte[] items = new byte[512];
  private int itemsLength;
  private int count;
  private boolean started;

  /** Starts the record of one impression; the strings must not be null. */
  public void start(String eventId, String modelName, long modelVersion, long deltaSequence, String variant,
      long timestampMs, long scoredAtMs) {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(variant, "variant");
    byte[] e = ScoreBinary.utf8IfNotAscii(eventId);
    byte[] m = ScoreBinary.utf8IfNotAscii(modelName);
    byte[] v = ScoreBinary.utf8IfNotAscii(variant);
    int size = AvroBinary.HEADER_BYTES + ScoreBinary.stringSize(eventId, e) + ScoreBinary.stringSize(modelName, m)
        + AvroBinary.varLongSize(modelVersion) + AvroBinary.varLongSize(deltaSequence)
        + ScoreBinary.stringSize(variant, v) + AvroBinary.varLongSize(timestampMs) + AvroBinary.varLongSize(scoredAtMs);
    if (head.length < size) {
      head = new byte[size];
    }
    int p = AvroBinary.writeHeader(head, FINGERPRINT);
    p = ScoreBinary.writeString(head, p, eventId, e);
    p = ScoreBinary.writeString(head, p, modelName, m);
    p = AvroBinary.writeVarLong(head, p, modelVersion);
    p = AvroBinary.writeVarLong(head, p, deltaSequence);
    p = ScoreBinary.writeString(head, p, variant, v);
    p = AvroBinary.writeVarLong(head, p, timestampMs);
    headLength = AvroBinary.writeVarLong(head, p, scoredAtMs);
    itemsLength = 0;
    count = 0;
    started = true;
  }

  /** Appends one candidate's score. */
  public void add(String adId, double pctr) {
    if (!started) {
      throw new IllegalStateException("add before start");
    }
    Objects.requireNonNull(adId, "adId");
    byte[] a = ScoreBinary.utf8IfNotAscii(adId);
    int need = itemsLength + ScoreBinary.stringSize(adId, a) + 8;
    if (items.length < need) {
      items = java.util.Arrays.copyOf(items, Math.max(need, items.length * 2));
    }
    int p = ScoreBinary.writeString(items, itemsLength, adId, a);
    itemsLength = ScoreBinary.writeDouble(items, p, pctr);
    count++;
  }

  /** The started record's single-object encoding (an empty array when nothing was added). */
  public byte[] finish() {
    if (!started) {
      throw new IllegalStateException("finish before start");
    }
    int blockHeader = count == 0 ? 0 : AvroBinary.varLongSize(count);
    byte[] out = new byte[headLength + blockHeader + itemsLength + 1];
    System.arraycopy(head, 0, out, 0, headLength);
    int p = headLength;
    if (count > 0) {
      p = AvroBinary.writeVarLong(out, p, count);
      System.arraycopy(items, 0, out, p, itemsLength);
      p += itemsLength;
    }
    out[p] = 0; // end of the array
    return out;
  }
}
