package io.ctrstreams.schemas;

import java.nio.charset.StandardCharsets;
import org.apache.avro.SchemaNormalization;

/**
 * The label join's common case without Avro objects: a served impression whose id has no state
 * yet becomes a fresh {@link LabelJoinState} by splicing its bytes - the state's first field is
 * the same {@code ServedImpression} the {@link LabelJoinEvent} carries - so the join stores it
 * without decoding it; it is decoded once, when a click or the window's end needs it. The state
 * bytes decode to {@code LabelJoinState(served, servedAtMs = ts, clickedAdIds = [],
 * pendingClicks = [], firstSeenMs = ts)}, the state the object path stores (property-tested).
 * Stateless and thread-safe.
 */
public final class LabelJoinBinary {
  private static final long EVENT_FINGERPRINT = SchemaNormalization.parsingFingerprint64(LabelJoinEvent.getClassSchema());
  private static final long STATE_FINGERPRINT = SchemaNormalization.parsingFingerprint64(LabelJoinState.getClassSchema());

  private LabelJoinBinary() {}

  /**
   * A served impression's id and its fresh state's bytes.
   *
   * @param eventId the served impression's event id
   * @param state the single-object {@code LabelJoinState} of a first sight of it at {@code ts}
   */
  public record Fresh(String eventId, byte[] state) {}

  /**
   * The fresh state of {@code event} when it is a current-schema {@code LabelJoinEvent} with a
   * served impression and no click; null for anything else (a click, another writer schema).
   *
   * @throws CodecException {@link DecodeFailure#BAD_AVRO} when the served impression's bytes are
   *     truncated or corrupt
   */
  public static Fresh fresh(byte[] event, long ts) {
    if (!AvroBinary.hasHeader(event) || AvroBinary.fingerprint(event) != EVENT_FINGERPRINT
        || event.length < AvroBinary.HEADER_BYTES + 2 || event[AvroBinary.HEADER_BYTES] != 2) {
      return null;
    }
    int start = AvroBinary.HEADER_BYTES + 1;
    AvroSkipCursor c = new AvroSkipCursor(event, start, "LabelJoinEvent record");
    long idLength = c.readLong();
    if (idLength < 0 || idLength > event.length - c.pos) {
      throw c.corrupt("string length " + idLength);
    }
    String eventId = new String(event, c.pos, (int) idLength, StandardCharsets.UTF_8);
    c.pos += (int) idLength;
    c.readLong(); // timestampMs
    c.skipFeatureMap(); // context
    for (long block = c.readLong(); block != 0; block = c.readLong()) {
      if (block < 0) {
        block = -block;
        c.readLong();
      }
      if (block > event.length - c.pos) {
        throw c.corrupt("array block of " + block + " candidates");
      }
      for (long i = 0; i < block; i++) {
        c.skipString(); // adId
        c.skipFeatureMap(); // features
        c.skip(8); // pctr
        c.skipNullable(8); // shadowPctr
      }
    }
    c.skipString(); // modelName
    c.readLong(); // modelVersion
    c.skipNullableString(); // shadowModelName
    c.skipNullableLong(); // shadowModelVersion
    c.skipNullableString(); // source
    int end = c.pos;
    if (end != event.length - 1 || event[end] != 0) {
      return null; // a click too, or trailing bytes: not the common case, the caller decodes
    }
    int body = end - start;
    byte[] state = new byte[AvroBinary.HEADER_BYTES + 1 + body + 2 * AvroBinary.varLongSize(ts) + 2];
    int p = AvroBinary.writeHeader(state, STATE_FINGERPRINT);
    state[p++] = 2; // served: branch 1
    System.arraycopy(event, start, state, p, body);
    p = AvroBinary.writeVarLong(state, p + body, ts); // servedAtMs
    state[p++] = 0; // clickedAdIds: []
    state[p++] = 0; // pendingClicks: []
    AvroBinary.writeVarLong(state, p, ts); // firstSeenMs
    return new Fresh(eventId, state);
  }
}
