package io.ctrstreams.recompressor.search;

import java.util.Arrays;

/**
 * A scored genome.
 *
 * @param strategy which search produced it ("ga", "dp", "uniform", ...)
 * @param genome option index per layer
 * @param bytes total bytes including the fixed part
 * @param flops total FLOPs of the compressible layers
 * @param loss search loss (calibration)
 * @param heldOutLoss loss on held-out calibration data, NaN until evaluated
 */
public record Candidate(String strategy, int[] genome, long bytes, long flops, double loss, double heldOutLoss) {
  public Candidate {
    genome = genome.clone();
  }

  @Override
  public int[] genome() {
    return genome.clone();
  }

  /** A copy with the held-out loss set. */
  public Candidate withHeldOut(double h) {
    return new Candidate(strategy, genome, bytes, flops, loss, h);
  }

  @Override
  public String toString() {
    return strategy + Arrays.toString(genome) + " bytes=" + bytes + " flops=" + flops + " loss=" + loss
        + " heldOut=" + heldOutLoss;
  }
}
