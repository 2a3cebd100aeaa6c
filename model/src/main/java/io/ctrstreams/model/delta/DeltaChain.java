package io.ctrstreams.model.delta;

/**
 * Where a chain stands, on either side: the weights {@code w} after its last delta, the keyframe
 * it started from and the last sequence number. {@link DeltaEncoder} and {@link DeltaApplier}
 * move it with the same update rule ({@link DeltaState#add}).
 */
abstract class DeltaChain {
  DeltaState w;
  long base = -1;
  long sequence;

  /** The weights after the last delta (live: do not modify); null before the first keyframe. */
  public DeltaState state() {
    return w;
  }

  /** Version of the chain's keyframe, or -1 before the first one. */
  public long baseVersion() {
    return base;
  }

  /** Sequence number of the last delta (0 right after a keyframe). */
  public long sequence() {
    return sequence;
  }
}
