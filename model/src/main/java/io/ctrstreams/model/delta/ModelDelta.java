package io.ctrstreams.model.delta;

import java.util.List;
import java.util.Objects;

/**
 * One link of a delta chain: what to add to the weights reconstructed from keyframe {@code
 * baseVersion} after {@code sequence - 1} earlier deltas, and the hash they must have afterwards.
 *
 * @param model model name
 * @param baseVersion version of the keyframe the chain starts from
 * @param sequence position in the chain, from 1
 * @param encoding how the values travelled (they are already rounded by it)
 * @param trainerStep the producer's optimisation step when it was made
 * @param examplesTrained examples the producer had trained on
 * @param createdAtMs when it was made, ms since the epoch
 * @param residualNorm {@code ||x - w||} after it (what is still unsent)
 * @param modelNorm {@code ||x||}
 * @param hashAfter {@link DeltaState#hash()} after applying it
 * @param tensors the updated tensors
 */
public record ModelDelta(
    String model, long baseVersion, long sequence, ValueEncoding encoding, long trainerStep, long examplesTrained,
    long createdAtMs, double residualNorm, double modelNorm, long hashAfter, List<TensorDelta> tensors) {

  /** Copies the tensor list. */
  public ModelDelta {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(encoding, "encoding");
    tensors = List.copyOf(tensors);
  }

  /** Number of values carried. */
  public long valueCount() {
    long n = 0;
    for (TensorDelta t : tensors) {
      n += t.values().length;
    }
    return n;
  }

  /** Number of indices carried. */
  public long indexCount() {
    long n = 0;
    for (TensorDelta t : tensors) {
      n += t.indices().length;
    }
    return n;
  }
}
