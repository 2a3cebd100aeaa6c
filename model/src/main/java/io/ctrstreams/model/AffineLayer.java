package io.ctrstreams.model;

import io.ctrstreams.model.internal.MatMul;

/**
 * An affine map {@code R^in -> R^out}, dense ({@link Linear}) or factored ({@link LowRankLinear}).
 * Forward passes read and write caller-owned arrays at offsets, so scorers and trainers can keep
 * all activations in a few reused buffers. Implementations are immutable and thread-safe; the
 * caller provides {@link #scratchSize()} floats of scratch (per row) for intermediate values.
 *
 * <p>Two forward passes, one per caller kind: one row at a time (the reference scorer, the
 * oracle) and over a batch of rows on a {@link MatMul} (the trainer, which adds its backward
 * rule, and the recompressor's calibration passes). A new layer type implements both here and
 * its {@link #factors()}, from which the optimized scorer compiles it.
 */
public interface AffineLayer {
  /** Input width. */
  int inputSize();

  /** Output width. */
  int outputSize();

  /** Floats of scratch {@link #forward} needs (0 for dense layers). */
  int scratchSize();

  /**
   * {@code y[yOff .. yOff+out) = f(x[xOff .. xOff+in))}. {@code y} must not overlap {@code x} or
   * {@code scratch}.
   */
  void forward(float[] x, int xOff, float[] y, int yOff, float[] scratch);

  /**
   * {@code y[r] = f(x[r])} for the {@code n} rows of row-major {@code x} [n, in] into {@code y}
   * [n, out], products on {@code mm}. A factored layer leaves its activated inner value in {@code
   * mid} [n, {@link #scratchSize()}] (the trainer's backward pass reads it).
   */
  void forward(MatMul mm, float[] x, int n, float[] y, float[] mid);

  /**
   * This map as dense factors applied in turn, a ReLU between them when {@link #hasActivation()}:
   * what compiled forms (the optimized scorer's transposed, permuted weights) are built from. Not a
   * copy (no allocation while a scorer lays out its weights): do not modify.
   */
  Linear[] factors();

  /** Whether a ReLU sits between the {@link #factors()}. */
  default boolean hasActivation() {
    return false;
  }

  /** Number of weights and biases. */
  long parameterCount();

  /** Multiply-adds per forward pass. */
  long multiplyAdds();
}
