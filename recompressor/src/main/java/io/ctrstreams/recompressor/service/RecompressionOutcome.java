package io.ctrstreams.recompressor.service;

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
    /** Gate failed; nothing published. */
    REJECTED,
    /** The pipeline or publishing threw; nothing published. */
    FAILED
  }

  /** Full bytes / compressed bytes, or NaN. */
  public double compressionRatio() {
    return compressedBytes > 0 ? (double) fullBytes / compressedBytes : Double.NaN;
  }
}
