package io.ctrstreams.trainer.exchange;

import io.ctrstreams.trainer.TrainerException;
import java.util.Arrays;

/**
 * The replica's side of the exchange: from the round's messages {@code D_1 .. D_n} (in slot
 * order) it computes {@code estimate = hbar + Dbar} and advances {@code hbar <- hbar + Dbar}
 * (for EF, none and uncompressed {@code hbar} stays 0). Every replica runs the same float
 * operations in the same order, so replicas that start equal stay bit-identical.
 */
public final class ExchangeAggregator {
  private final boolean shift;
  private final int d;
  private final float[] hbar;

  public ExchangeAggregator(ExchangeAlgorithm algorithm, int d) {
    this.shift = algorithm == ExchangeAlgorithm.ECONTROL || algorithm == ExchangeAlgorithm.EF21;
    this.d = d;
    this.hbar = new float[d];
  }

  /** For tests: the EControl path with the shift frozen at 0. */
  ExchangeAggregator(int d, boolean shift) {
    this.shift = shift;
    this.d = d;
    this.hbar = new float[d];
  }

  /**
   * Writes {@code hbar + (D_1 + ... + D_n) / n} into {@code out}, the messages summed in slot
   * order (index 0 first), and advances {@code hbar}.
   */
  public void estimate(float[][] messages, int n, float[] out) {
    if (n < 1) {
      throw new TrainerException("a round needs at least one message, found " + n);
    }
    float inv = n; // divide (not multiply by 1/n): exact for n = 1, 2, 4
    for (int j = 0; j < d; j++) {
      float s = messages[0][j];
      for (int i = 1; i < n; i++) {
        s += messages[i][j];
      }
      float dbar = s / inv;
      out[j] = hbar[j] + dbar;
      if (shift) {
        hbar[j] = hbar[j] + dbar;
      }
    }
  }

  /** Resets {@code hbar} to 0 (a new epoch). */
  public void reset() {
    Arrays.fill(hbar, 0f);
  }

  /** {@code hbar} (live view). */
  public float[] shiftMean() {
    return hbar;
  }
}
