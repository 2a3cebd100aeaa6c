package io.ctrstreams.trainer.exchange;

import io.ctrstreams.trainer.TrainerException;
import java.util.Arrays;

/**
 * The replica's side of the exchange: from the round's messages {@code D_1 .. D_n} (in slot
 * order) it computes {@code estimate = hbar + Dbar} and advances {@code hbar <- hbar + Dbar}
 * (for EF, none and uncompressed {@code hbar} stays 0). Every replica runs the same float
 * operations in the same order, so replicas that start equal stay bit-identical.
 *
 * <p>With {@link ShiftScope#TOUCHED_ROWS} the table rows are aggregated as {@code (sum_i (m_i h_i
 * + D_i)) / n} from the senders' masks {@code m_i}, so the replica keeps every worker's shift
 * {@code h_i} (the sum of its masked messages); dense tensors ({@code m_i = 1}) keep the {@code
 * hbar} form above.
 */
public final class ExchangeAggregator {
  private final boolean shift;
  private final int d;
  private final float[] hbar;
  /** Non-null for {@link ShiftScope#TOUCHED_ROWS}: the layout and every worker's shift. */
  private final ParamLayout rows;
  private final float[][] hs;

  public ExchangeAggregator(ExchangeAlgorithm algorithm, int d) {
    this.shift = algorithm == ExchangeAlgorithm.ECONTROL || algorithm == ExchangeAlgorithm.EF21;
    this.d = d;
    this.hbar = new float[d];
    this.rows = null;
    this.hs = null;
  }

  /** For {@code n} workers whose shift acts as {@code scope} states on the tables of {@code layout}. */
  public ExchangeAggregator(ExchangeAlgorithm algorithm, ParamLayout layout, int n, ShiftScope scope) {
    this.shift = algorithm == ExchangeAlgorithm.ECONTROL || algorithm == ExchangeAlgorithm.EF21;
    this.d = layout.size();
    this.hbar = new float[d];
    boolean masked = shift && scope == ShiftScope.TOUCHED_ROWS;
    this.rows = masked ? layout : null;
    this.hs = masked ? new float[n][d] : null;
  }

  /** Whether {@link #estimate(float[][], boolean[][], int, float[])} needs the senders' masks. */
  public boolean masked() {
    return rows != null;
  }

  /** For tests: the EControl path with the shift frozen at 0. */
  ExchangeAggregator(int d, boolean shift) {
    this.shift = shift;
    this.d = d;
    this.hbar = new float[d];
    this.rows = null;
    this.hs = null;
  }

  /**
   * Writes {@code hbar + (D_1 + ... + D_n) / n} into {@code out}, the messages summed in slot
   * order (index 0 first), and advances {@code hbar}.
   */
  public void estimate(float[][] messages, int n, float[] out) {
    if (n < 1) {
      throw new TrainerException("a round needs at least one message, found " + n);
    }
    if (rows != null) {
      throw new TrainerException("the touched-rows shift needs the senders' row masks");
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

  /**
   * {@link ShiftScope#TOUCHED_ROWS}: dense units as {@link #estimate(float[][], int, float[])};
   * table rows {@code (sum_i (m_i h_i + D_i)) / n} summed in slot order, then {@code h_i <- h_i +
   * m_i D_i}. {@code masks[i]} is worker i's {@link ExchangeWorker#touched()}.
   */
  public void estimate(float[][] messages, boolean[][] masks, int n, float[] out) {
    if (rows == null) {
      estimate(messages, n, out);
      return;
    }
    if (n < 1 || n > hs.length) {
      throw new TrainerException("a round needs 1 to " + hs.length + " messages, found " + n);
    }
    float inv = n;
    for (int t = 0; t < rows.segments().size(); t++) {
      ParamLayout.Segment seg = rows.segments().get(t);
      int unit = seg.unit();
      int first = rows.firstUnit(t);
      if (unit == 1) {
        for (int j = seg.offset(); j < seg.offset() + seg.length(); j++) {
          float s = messages[0][j];
          for (int i = 1; i < n; i++) {
            s += messages[i][j];
          }
          float dbar = s / inv;
          out[j] = hbar[j] + dbar;
          hbar[j] = hbar[j] + dbar;
        }
        continue;
      }
      for (int u = 0; u < seg.units(); u++) {
        int base = seg.offset() + u * unit;
        for (int j = base; j < base + unit; j++) {
          float s = 0f;
          for (int i = 0; i < n; i++) {
            s += masks[i][first + u] ? hs[i][j] + messages[i][j] : messages[i][j];
          }
          out[j] = s / inv;
        }
        for (int i = 0; i < n; i++) {
          if (masks[i][first + u]) {
            float[] h = hs[i];
            float[] m = messages[i];
            for (int j = base; j < base + unit; j++) {
              h[j] = h[j] + m[j];
            }
          }
        }
      }
    }
  }

  /** Resets {@code hbar} (and the workers' shifts) to 0 (a new epoch). */
  public void reset() {
    Arrays.fill(hbar, 0f);
    if (hs != null) {
      for (float[] h : hs) {
        Arrays.fill(h, 0f);
      }
    }
  }

  /** Worker i's shift as this replica keeps it ({@link ShiftScope#TOUCHED_ROWS}; live view, tests). */
  float[] workerShift(int i) {
    return hs == null ? null : hs[i];
  }

  /** {@code hbar} (live view). */
  public float[] shiftMean() {
    return hbar;
  }
}
