package io.ctrstreams.model;

/**
 * What one field contributes to x0, the network's input row: a dense {@link Embedding}, a
 * {@link LowRankEmbedding} (its full d-dim row, or its k-dim factor row when folded), or a
 * recompressor candidate seen through a projection. The one embedding step of every forward pass.
 */
public interface FieldInput {
  /** Floats written per example. */
  int width();

  /**
   * Writes the field's vector for table row {@code row} to {@code out[off .. off + width())};
   * {@code scale} is the raw value of a SCALED field (one row), 1 for lookup fields.
   */
  void write(int row, float scale, float[] out, int off);
}
