package io.ctrstreams.model.delta;

import java.util.List;
import java.util.Objects;

/**
 * A producer of a delta chain whose updates are sent whole (no top-k, no residual): the
 * recompressor's chain of compressed-model updates, where each link is an exact projection of a
 * trainer delta. It moves its {@code w} with {@link DeltaState#add}, the consumers' rule, so the
 * hash it puts in each link is what a consumer holding the same keyframe computes. Values are
 * sent as FP32. Not thread-safe.
 */
public final class ExactDeltas extends DeltaChain {
  private final String model;

  /** A chain of {@code model} on keyframe {@code baseVersion} with weights {@code start} (taken, not copied). */
  public ExactDeltas(String model, long baseVersion, DeltaState start) {
    this.model = Objects.requireNonNull(model, "model");
    this.w = Objects.requireNonNull(start, "start");
    this.base = baseVersion;
    this.sequence = 0;
  }

  /**
   * The next link: adds {@code updates} (indices strictly increasing per tensor, values already
   * final) to {@code w} and returns them with the hash afterwards.
   *
   * @throws IllegalArgumentException if an update names a tensor {@code w} lacks or is malformed
   */
  public ModelDelta next(List<TensorDelta> updates, long trainerStep, long examplesTrained, long createdAtMs) {
    int[] pos = new int[updates.size()];
    for (int j = 0; j < pos.length; j++) {
      TensorDelta td = updates.get(j);
      int t = w.indexOf(td.tensor());
      if (t < 0) {
        throw new IllegalArgumentException("no tensor " + td.tensor() + " in the chain of " + model);
      }
      if (!DeltaApplier.valid(td, w.unit(t), w.values(t).length / w.unit(t))) {
        throw new IllegalArgumentException("update of " + td.tensor() + " has " + td.indices().length + " indices and "
            + td.values().length + " values (unit " + w.unit(t) + "), or indices not increasing or out of range");
      }
      pos[j] = t;
    }
    for (int j = 0; j < pos.length; j++) {
      w.add(pos[j], updates.get(j).indices(), updates.get(j).values(), null);
    }
    sequence++;
    return new ModelDelta(model, base, sequence, ValueEncoding.FP32, trainerStep, examplesTrained, createdAtMs, 0,
        0, w.hash(), updates);
  }
}
