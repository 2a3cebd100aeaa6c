package io.ctrstreams.topology.internal;

import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.LabelJoinEvent;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.ServedImpressionBinary;
import io.ctrstreams.schemas.ServedCandidate;
import io.ctrstreams.schemas.ServedImpression;
import io.ctrstreams.serving.ServedModel;
import java.util.ArrayList;
import java.util.List;

/**
 * What the scoring processor served, for the label join: the impression as it came and the pctrs
 * and models that served it. The scoring path encodes features straight from the record bytes
 * and never builds the impression's maps; {@link #toServedImpression} decodes them afterwards, in
 * the label join's input node.
 *
 * @param value the impression record's value (validated by the scoring processor)
 * @param recordTimestamp its record timestamp (the event time of JSON without one)
 * @param decoded the decoded record when scoring had to decode it anyway, else null
 * @param live the live model
 * @param pctr the live pctr per candidate
 * @param shadow the shadow model, null when no shadow scored
 * @param shadowPctr the shadow pctr per candidate, null when no shadow scored
 */
public record Served(byte[] value, long recordTimestamp, Impression decoded, ServedModel live, float[] pctr,
    ServedModel shadow, float[] shadowPctr) {

  /**
   * The label join's input record for this impression, single-object encoded: written straight
   * from the record's bytes ({@link ServedImpressionBinary}) when scoring read them directly,
   * else encoded from {@link #toServedImpression}. Both decode to the same record.
   */
  public byte[] labelJoinEvent(ImpressionCodec codec) {
    if (decoded == null) {
      byte[] b = ServedImpressionBinary.labelJoinEvent(value, pctr, live.name(), live.version(),
          shadow == null ? null : shadow.name(), shadow == null ? 0 : shadow.version(), shadowPctr);
      if (b != null) {
        return b;
      }
    }
    return Schemas.LABEL_JOIN_EVENT.encode(new LabelJoinEvent(toServedImpression(codec), null));
  }

  /** The label join's served impression: the record (decoded now unless scoring did) with pctrs and models. */
  public ServedImpression toServedImpression(ImpressionCodec codec) {
    return toServedImpression(codec, null);
  }

  /**
   * As {@link #toServedImpression(ImpressionCodec)}, naming the path that served it ({@code null}: the
   * scoring topology; {@code "rpc"}: {@code ctr serve}), so online metrics can tell the two apart.
   */
  public ServedImpression toServedImpression(ImpressionCodec codec, String source) {
    // cannot fail: the scoring processor validated these bytes with the same codec
    Impression imp = decoded != null ? decoded : codec.decode(value, recordTimestamp);
    List<Candidate> cs = imp.getCandidates();
    List<ServedCandidate> served = new ArrayList<>(cs.size());
    for (int i = 0; i < cs.size(); i++) {
      Candidate c = cs.get(i);
      served.add(new ServedCandidate(c.getAdId(), c.getFeatures(), (double) pctr[i],
          shadow == null ? null : (double) shadowPctr[i]));
    }
    return new ServedImpression(imp.getEventId(), imp.getTimestampMs(), imp.getContext(), served, live.name(),
        live.version(), shadow == null ? null : shadow.name(), shadow == null ? null : shadow.version(), source);
  }
}
