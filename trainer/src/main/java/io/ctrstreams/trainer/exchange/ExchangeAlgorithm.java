package io.ctrstreams.trainer.exchange;

import io.ctrstreams.trainer.TrainerException;
import java.util.Arrays;
import java.util.Locale;

/**
 * The gradient exchange algorithms ({@code exchange.algorithm}). Worker {@code i} holds an error
 * {@code e_i} and a shift {@code h_i} (both start at 0); every replica holds {@code hbar = mean_i
 * h_i}. At a round with stochastic gradients {@code g_i} (EControl, Gao, Islamov and Stich, ICLR
 * 2024, Algorithm 1):
 *
 * <pre>
 *   D_i  = C(eta * e_i + g_i - h_i)          the message worker i sends
 *   e_i <- e_i + g_i - h_i - D_i             (h_i before its update)
 *   h_i <- h_i + D_i
 *   Dbar = (D_1 + ... + D_n) / n             summed in slot order on every replica
 *   estimate = hbar + Dbar                   what the optimizer consumes instead of mean_i g_i
 *   hbar <- hbar + Dbar
 * </pre>
 *
 * Invariant (the bookkeeping identity): {@code e_i + sum_t (h_i^t + D_i^t) = sum_t g_i^t}, i.e.
 * what worker i has contributed to the updates plus its error is exactly the sum of its
 * gradients.
 *
 * <p>These are the paper's equations on every coordinate ({@link ShiftScope#ALL}, the default and
 * what the Kafka trainer runs). {@link ShiftScope#TOUCHED_ROWS} is the documented adaptation for
 * the sparse gradients of embedding tables (the shift of a row acts only in rounds that touch
 * it); QUALITY.md section 5.3 compares the two.
 */
public enum ExchangeAlgorithm {
  /** EControl: the equations above with the feedback strength {@code eta}. */
  ECONTROL,
  /**
   * Classic error feedback (Seide et al. 2014; Karimireddy et al. 2019): {@code eta = 1} and
   * {@code h = 0} forever, i.e. {@code p = e_i + g_i; D_i = C(p); e_i <- p - D_i}. Carries a bias
   * proportional to the heterogeneity of the workers' gradients.
   */
  EF,
  /** EF21 (Richtárik, Sokolov, Fatkhullin 2021): {@code eta = 0}, only the shift is tracked. */
  EF21,
  /** Compressed gradients without feedback: {@code D_i = C(g_i)}; can diverge with top-k. */
  NONE,
  /** Plain averaging of fp32 gradients: {@code D_i = g_i}. */
  UNCOMPRESSED;

  /** The config spelling ({@code econtrol}, {@code ef}, ...). */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The algorithm spelled {@code s} (case-insensitive).
   *
   * @throws TrainerException naming the value and the accepted ones
   */
  public static ExchangeAlgorithm parse(String s) {
    for (ExchangeAlgorithm a : values()) {
      if (a.configName().equalsIgnoreCase(s == null ? "" : s.trim())) {
        return a;
      }
    }
    throw new TrainerException("exchange.algorithm must be one of "
        + Arrays.stream(values()).map(ExchangeAlgorithm::configName).toList() + ", found '" + s + "'");
  }

  /** Whether the messages are compressed. */
  public boolean compressed() {
    return this != UNCOMPRESSED;
  }

  /**
   * The default {@code eta} for EControl with a compressor of contraction {@code delta} (top-k:
   * {@code delta = k/d}): {@code eta = delta}. The paper's analysis needs {@code eta} of the order
   * of {@code delta} (small enough that the damped error cannot feed back into a growing message;
   * {@code eta = 1} is classic EF, whose heterogeneity bias EControl removes). Measured on the
   * CTR workload (QUALITY.md section 5): at top-1% (delta = 0.01) eta = 0.1 did best of 0.01,
   * 0.1, 0.2, 0.3 and 0.5 and 0.5 degrades badly, but neither meets the quality target; at top-4%
   * (delta = 0.04, still under 1/30 of the uncompressed bytes) eta = delta did better than 0.1.
   * What limits EControl there is delta itself (the shift h tracks the gradient through messages
   * of delta of the units), not eta: the default stays at the analysed value. With one ratio per
   * kind of tensor, {@code delta} is the minimum over tensors; {@link
   * ExchangeWorker#useTensorEtas} applies {@code eta_t = delta_t} per tensor instead (measured in
   * QUALITY.md section 5.3). The contraction a round actually achieves is far above the bound
   * (about 0.7 on the tables at top-4%: the compressed vector is concentrated), but eta equal to it
   * did worse; {@link ExchangeWorker#useMeasuredEtas} takes eta as a fraction of it (QUALITY.md
   * section 5.6).
   */
  public static double defaultEta(double delta) {
    return delta;
  }
}
