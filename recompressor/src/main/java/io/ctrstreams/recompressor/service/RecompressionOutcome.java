package io.ctrstreams.recompressor.service;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.LowRankConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one recompression run did.
 *
 * @param trigger why it ran: {@code snapshot}, {@code age} or {@code drift}
 * @param fullVersion the full snapshot's version
 * @param publishedVersion the compressed version published, or -1 when rejected or failed
 * @param status accepted, rejected or failed
 * @param reason gate summary, or the failure message
 * @param fullBytes .ctrm bytes of the full model
 * @param compressedBytes .ctrm bytes of the candidate (0 when compression failed)
 * @param seconds wall time of the run
 * @param ranks rank per compressed layer (layer name to rank), empty when failed
 */
public record RecompressionOutcome(
    String trigger, long fullVersion, long publishedVersion, Status status, String reason,
    long fullBytes, long compressedBytes, double seconds, Map<String, Integer> ranks) {

  /** Outcome kinds, also the {@code outcome} label of the gate counter. */
  public enum Status {
    /** Gate passed and the model was published. */
    ACCEPTED,
    /**
     * The holdout had one class only (e.g. during a click outage), so AUC is undefined: the gate
     * passed on logloss, calibration and fidelity alone and the model was published.
     */
    ACCEPTED_WITHOUT_AUC,
    /** Gate failed; nothing published. */
    REJECTED,
    /** The pipeline or publishing threw; nothing published. */
    FAILED;

    /** Whether the model was published. */
    public boolean accepted() {
      return this == ACCEPTED || this == ACCEPTED_WITHOUT_AUC;
    }
  }

  /** Rank per compressed layer, from the candidate's low-rank config. */
  public static Map<String, Integer> ranks(CtrModel candidate) {
    Map<String, Integer> out = new LinkedHashMap<>();
    LowRankConfig lr = candidate.spec().lowRank();
    if (lr == null) {
      return out;
    }
    if (lr.embeddingRank() > 0) {
      out.put("embedding", lr.embeddingRank());
    }
    for (Map.Entry<String, Integer> e : lr.fieldEmbeddingRanks().entrySet()) {
      if (e.getValue() > 0) {
        out.put("emb/" + e.getKey(), e.getValue());
      }
    }
    putRanks(out, "mlp/", lr.mlpRanks());
    putRanks(out, "cross/", lr.crossRanks());
    return out;
  }

  private static void putRanks(Map<String, Integer> out, String prefix, int[] ranks) {
    for (int i = 0; ranks != null && i < ranks.length; i++) {
      if (ranks[i] > 0) {
        out.put(prefix + i, ranks[i]);
      }
    }
  }

  /** Full bytes / compressed bytes, or NaN. */
  public double compressionRatio() {
    return compressedBytes > 0 ? (double) fullBytes / compressedBytes : Double.NaN;
  }
}
