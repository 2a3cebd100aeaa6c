package io.ctrstreams.model;

/**
 * An affine map {@code R^in -> R^out}, dense ({@link Linear}) or factored ({@link LowRankLinear}).
 * Forward passes read and write caller-owned arrays at offsets, so scorers and trainers can keep
 * all activations in a few reused buffers. Implementations are immutable and thread-safe; the
 * caller provides {@link #scratchSize()} floats of scratch for intermediate values.
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

  /** Number of weights and biases. */
  long parameterCount();

  /** Multiply-adds per forward pass. */
  long multiplyAdds();
}
