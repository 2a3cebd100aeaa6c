package io.ctrstreams.trainer.online;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.trainer.data.RawRecord;

/**
 * What the continuous trainer needs from a learning algorithm: one optimisation step per
 * mini-batch and a consistent snapshot of the weights. The trainer module's backprop trainer is
 * adapted to it ({@link OnlineLearners}). Called from one thread only.
 */
public interface OnlineLearner extends AutoCloseable {

  /**
   * One optimisation step on {@code batch[0 .. n)} (labels in {@link RawRecord#label}).
   *
   * @return the batch's mean training loss (before the step)
   */
  double train(RawRecord[] batch, int n);

  /** The current weights as an immutable model (a copy: later steps must not change it). */
  CtrModel snapshot();

  /**
   * A diagonal estimate of how much each value of tensor {@code name} moves the loss (the
   * optimizer's mean squared gradient per step), into {@code out}, for ranking delta units by
   * their effect on the output; false (the default) when the learner keeps no such state.
   */
  default boolean meanSquaredGradient(String name, float[] out) {
    return false;
  }

  /** Releases worker threads, if any. */
  @Override
  default void close() {}
}
