package io.ctrstreams.recompressor.search;

import io.ctrstreams.recompressor.RecompressorException;

/**
 * One rung of a layer's rank ladder.
 *
 * @param rank the rank, or {@link #DENSE} to keep the layer dense
 * @param bytes parameter bytes of the layer at this option
 * @param flops FLOPs of one forward pass of the layer at this option
 * @param sensitivity estimated loss increase when only this layer takes this option (0 for dense);
 *     what the knapsack DP minimizes and what repair consults
 */
public record RankOption(int rank, long bytes, long flops, double sensitivity) {
  /** Rank value meaning "keep dense". */
  public static final int DENSE = -1;

  /** Validates. */
  public RankOption {
    if (rank < 1 && rank != DENSE) {
      throw new RecompressorException("rank must be >= 1 or DENSE (-1), found " + rank);
    }
    if (bytes < 0 || flops < 0) {
      throw new RecompressorException("bytes and flops must be >= 0, found " + bytes + " and " + flops);
    }
    if (Double.isNaN(sensitivity)) {
      throw new RecompressorException("sensitivity of rank " + rank + " must be a number, found NaN");
    }
  }

  public boolean dense() {
    return rank == DENSE;
  }

  /** A copy with another sensitivity. */
  public RankOption withSensitivity(double s) {
    return new RankOption(rank, bytes, flops, s);
  }

  @Override
  public String toString() {
    return dense() ? "dense" : Integer.toString(rank);
  }
}
