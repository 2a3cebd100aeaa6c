package io.ctrstreams.model.delta;

import io.ctrstreams.model.format.ModelFile;
import java.util.Objects;

/**
 * The consumer's side of a delta chain: the weights reconstructed from a keyframe plus the deltas
 * applied in order, each checked before and after. A delta is applied only when its base is the
 * current keyframe and its sequence the next one; afterwards {@link DeltaState#hash()} must equal
 * the delta's {@code hashAfter}, or the delta is undone. Whatever is refused leaves the weights as
 * they were (the last good {@code w}) and says why ({@link Outcome}); after a gap, an unknown
 * base or a mismatch the caller resyncs from the newest keyframe. Not thread-safe.
 */
public final class DeltaApplier extends DeltaChain {

  /** What {@link #apply} did. */
  public enum Outcome {
    /** Applied; the weights are the producer's after this delta. */
    APPLIED(false),
    /** A delta of this chain already applied (a replay): ignored. */
    DUPLICATE(false),
    /** A delta of an older keyframe's chain: ignored. */
    OLD_BASE(false),
    /** A later sequence than the next one: deltas are missing; resync. */
    GAP(true),
    /** A keyframe this applier does not have: resync from it. */
    UNKNOWN_BASE(true),
    /** Applied, the hash differs from the producer's: undone; resync. */
    HASH_MISMATCH(true),
    /** Names a tensor or index the weights do not have, or values of the wrong length: ignored; resync. */
    MALFORMED(true);

    private final boolean needsResync;

    Outcome(boolean needsResync) {
      this.needsResync = needsResync;
    }

    /** Whether the chain is broken for this applier: only a newer keyframe repairs it. */
    public boolean needsResync() {
      return needsResync;
    }
  }


  /** An applier with no keyframe yet: every delta is {@link Outcome#UNKNOWN_BASE}. */
  public DeltaApplier() {}

  /** Starts the chain of keyframe {@code baseVersion} with weights {@code keyframe}. */
  public void keyframe(long baseVersion, ModelFile keyframe) {
    keyframe(baseVersion, DeltaState.of(keyframe));
  }

  /** As {@link #keyframe(long, ModelFile)} from a state (taken, not copied). */
  public void keyframe(long baseVersion, DeltaState state) {
    this.w = Objects.requireNonNull(state, "state");
    this.base = baseVersion;
    this.sequence = 0;
  }

  /** Checks and applies {@code d}. */
  public Outcome apply(ModelDelta d) {
    if (w == null || d.baseVersion() > base) {
      return Outcome.UNKNOWN_BASE;
    }
    if (d.baseVersion() < base) {
      return Outcome.OLD_BASE;
    }
    if (d.sequence() <= sequence) {
      return Outcome.DUPLICATE;
    }
    if (d.sequence() != sequence + 1) {
      return Outcome.GAP;
    }
    int[] tensor = new int[d.tensors().size()];
    for (int j = 0; j < tensor.length; j++) {
      TensorDelta td = d.tensors().get(j);
      int t = w.indexOf(td.tensor());
      if (t < 0 || !valid(td, w.unit(t), w.values(t).length / w.unit(t))) {
        return Outcome.MALFORMED;
      }
      tensor[j] = t;
    }
    // apply, remembering the replaced values to undo a mismatch
    float[][] old = new float[tensor.length][];
    for (int j = 0; j < tensor.length; j++) {
      TensorDelta td = d.tensors().get(j);
      old[j] = new float[td.values().length];
      w.add(tensor[j], td.indices(), td.values(), old[j]);
    }
    if (w.hash() != d.hashAfter()) {
      for (int j = tensor.length - 1; j >= 0; j--) {
        w.restore(tensor[j], d.tensors().get(j).indices(), old[j]);
      }
      return Outcome.HASH_MISMATCH;
    }
    sequence = d.sequence();
    return Outcome.APPLIED;
  }

  /** Whether {@code td} has {@code unit} values per index and strictly increasing indices below {@code units}. */
  static boolean valid(TensorDelta td, int unit, int units) {
    int[] idx = td.indices();
    if ((long) idx.length * unit != td.values().length) {
      return false;
    }
    int prev = -1;
    for (int i : idx) {
      if (i <= prev || i >= units) {
        return false;
      }
      prev = i;
    }
    return true;
  }



}
