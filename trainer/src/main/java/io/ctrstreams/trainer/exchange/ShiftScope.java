package io.ctrstreams.trainer.exchange;

import io.ctrstreams.trainer.TrainerException;
import java.util.Arrays;
import java.util.Locale;

/**
 * Where the shift {@code h_i} of {@link ExchangeAlgorithm#ECONTROL} and {@link
 * ExchangeAlgorithm#EF21} acts ({@code --shift} of {@code ctr exchange-experiment}).
 *
 * <p>{@link #ALL} is the paper's Algorithm 1 on every coordinate. The paper's setting is a full
 * gradient every round; an embedding table's round gradient is sparse: only the rows the round's
 * examples touched are non-zero. Under {@code ALL} the shift of a row keeps the value it took when
 * the row was last sent, so every later round the estimate {@code hbar + Dbar} applies that stale
 * gradient again to a row that had no example (and Adagrad's accumulator sees it), until the
 * error {@code e_i} (fed back at rate eta) has grown enough for the row to be sent again.
 *
 * <p>{@link #TOUCHED_ROWS} is the adaptation for sparse rows: worker {@code i} marks the table
 * rows its round gradient touches ({@code m_i[r] = 1} iff row {@code r} of {@code g_i} is not all
 * zero; dense tensors always have {@code m_i = 1}) and the shift acts on a row only in the rounds
 * that touch it:
 *
 * <pre>
 *   D_i  = C(eta * e_i + g_i - m_i h_i)
 *   e_i <- e_i + g_i - m_i h_i - D_i
 *   h_i <- h_i + m_i D_i
 *   estimate = (sum_i (m_i h_i + D_i)) / n        (every replica keeps every h_i: h_i = sum of m_i D_i)
 * </pre>
 *
 * so {@code h_i[r]} estimates row {@code r}'s gradient given the row is touched, and an untouched
 * row receives only what the error feedback sends for it. With {@code m_i = 1} everywhere these
 * are the paper's equations. The bookkeeping identity holds with the round's contribution {@code
 * m_i h_i + D_i} in place of {@code h_i + D_i}: {@code e_i + sum_t (m_i^t h_i^t + D_i^t) = sum_t
 * g_i^t}; with {@code C} = identity the contribution is {@code g_i} (uncompressed); with eta = 1
 * and {@code h} frozen at 0 it is classic EF. The masks travel with the messages: per table the
 * cheaper of a bitmap of its rows and a 4-byte index per touched row, counted in the wire size.
 */
public enum ShiftScope {
  /** The paper: the shift acts on every coordinate every round. */
  ALL,
  /** The shift of a table row acts only in rounds whose gradient touches the row. */
  TOUCHED_ROWS;

  /** The command-line spelling ({@code all}, {@code touched-rows}). */
  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * The scope spelled {@code s} (case-insensitive).
   *
   * @throws TrainerException naming the value and the accepted ones
   */
  public static ShiftScope parse(String s) {
    for (ShiftScope v : values()) {
      if (v.configName().equalsIgnoreCase(s == null ? "" : s.trim())) {
        return v;
      }
    }
    throw new TrainerException("shift scope must be one of "
        + Arrays.stream(values()).map(ShiftScope::configName).toList() + ", found '" + s + "'");
  }
}
