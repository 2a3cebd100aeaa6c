package io.ctrstreams.topology.internal;

import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.ServedCandidate;
import io.ctrstreams.schemas.ServedImpression;
import java.util.ArrayList;
import java.util.List;

/**
 * What the scoring processor served, for the label join: the impression as it came (its record
 * bytes; the decoded record only when scoring had to decode it anyway) and the pctrs and models
 * that served it. The scoring path encodes features straight from the bytes and never builds the
 * impression's maps; {@link #toServedImpression} decodes them afterwards, in the label join's
 * input node.
 */
public final class Served {
  private final byte[] value;
  private final long recordTimestamp;
  private final Impression decoded;
  private final float[] pctr;
  private final float[] shadowPctr;
  private final String modelName;
  private final long modelVersion;
  private final String shadowModelName;
  private final Long shadowModelVersion;

  /**
   * A served impression.
   *
   * @param value the impression record's value (validated by the scoring processor)
   * @param recordTimestamp its record timestamp (the event time of JSON without one)
   * @param decoded the decoded record, or null when scoring did not decode it
   * @param pctr the live pctr per candidate (owned by this object)
   * @param shadowPctr the shadow pctr per candidate, or null when no shadow scored
   */
  Served(byte[] value, long recordTimestamp, Impression decoded, float[] pctr, String modelName, long modelVersion,
      float[] shadowPctr, String shadowModelName, Long shadowModelVersion) {
    this.value = value;
    this.recordTimestamp = recordTimestamp;
    this.decoded = decoded;
    this.pctr = pctr;
    this.modelName = modelName;
    this.modelVersion = modelVersion;
    this.shadowPctr = shadowPctr;
    this.shadowModelName = shadowModelName;
    this.shadowModelVersion = shadowModelVersion;
  }

  /** The decoded record as scoring left it: null when it was scored straight from its bytes. */
  public Impression decoded() {
    return decoded;
  }

  /**
   * The served impression of the label join: the record (decoded with {@code codec} unless scoring
   * did) with the served pctrs and model names and versions.
   */
  public ServedImpression toServedImpression(ImpressionCodec codec) {
    // cannot fail: the scoring processor validated these bytes with the same codec
    Impression imp = decoded != null ? decoded : codec.decode(value, recordTimestamp);
    List<Candidate> cs = imp.getCandidates();
    List<ServedCandidate> served = new ArrayList<>(cs.size());
    for (int i = 0; i < cs.size(); i++) {
      Candidate c = cs.get(i);
      served.add(new ServedCandidate(c.getAdId(), c.getFeatures(), (double) pctr[i],
          shadowPctr == null ? null : (double) shadowPctr[i]));
    }
    return new ServedImpression(imp.getEventId(), imp.getTimestampMs(), imp.getContext(), served, modelName,
        modelVersion, shadowModelName, shadowModelVersion);
  }
}
