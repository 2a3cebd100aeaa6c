package io.ctrstreams.trainer.exchange;

import io.ctrstreams.trainer.TrainerException;
import java.util.Arrays;

/**
 * One worker's side of the exchange: turns its round gradient {@code g_i} into the message
 * {@code D_i} and updates its error {@code e_i} and shift {@code h_i} as {@link ExchangeAlgorithm}
 * states. Not thread-safe; no allocation per round (apart from the top-k selection's index array).
 */
public final class ExchangeWorker {
  private final ExchangeAlgorithm algorithm;
  private final Compressor compressor;
  private final float eta;
  private final boolean shift;
  private final int d;
  private final float[] e;
  private final float[] h;
  private final float[] v;

  /**
   * A worker for {@code algorithm}; {@code eta} is used by {@link ExchangeAlgorithm#ECONTROL}
   * only (EF21 is eta = 0, EF is eta = 1 without shift). {@code UNCOMPRESSED} ignores the
   * compressor's selection and sends the fp32 vector.
   *
   * @throws TrainerException if eta is negative or not finite
   */
  public ExchangeWorker(ExchangeAlgorithm algorithm, Compressor compressor, int d, double eta) {
    this(algorithm, compressor, d, eta, algorithm == ExchangeAlgorithm.ECONTROL || algorithm == ExchangeAlgorithm.EF21);
  }

  /** With {@code shift = false} the EControl path keeps {@code h_i = 0} (tests: eta = 1 is then EF). */
  ExchangeWorker(ExchangeAlgorithm algorithm, Compressor compressor, int d, double eta, boolean shift) {
    if (!(eta >= 0) || Double.isInfinite(eta)) {
      throw new TrainerException("exchange.eta must be a finite number >= 0, found " + eta);
    }
    this.algorithm = algorithm;
    this.compressor = algorithm == ExchangeAlgorithm.UNCOMPRESSED ? Compressor.identity(ParamLayout.dense(d)) : compressor;
    this.eta = switch (algorithm) {
      case ECONTROL -> (float) eta;
      case EF -> 1f;
      default -> 0f;
    };
    this.shift = shift;
    this.d = d;
    this.e = new float[d];
    this.h = new float[d];
    this.v = new float[d];
  }

  public ExchangeAlgorithm algorithm() {
    return algorithm;
  }

  /** The feedback strength in use. */
  public float eta() {
    return eta;
  }

  /**
   * One round: writes {@code D_i} for gradient {@code g} into {@code out} and updates the state.
   *
   * @return the message's wire size in bytes
   */
  public long encode(float[] g, float[] out) {
    if (g.length < d || out.length < d) {
      throw new TrainerException("exchange vectors have " + d + " values, got " + g.length + " and " + out.length);
    }
    switch (algorithm) {
      case UNCOMPRESSED, NONE -> {
        return compressor.compress(g, out);
      }
      case EF -> {
        // textbook form: p = e + g; D = C(p); e = p - D
        for (int j = 0; j < d; j++) {
          v[j] = e[j] + g[j];
        }
        long bytes = compressor.compress(v, out);
        for (int j = 0; j < d; j++) {
          e[j] = v[j] - out[j];
        }
        return bytes;
      }
      default -> {
        // ECONTROL and EF21 (eta = 0): D = C(eta e + g - h); e += g - h - D; h += D
        for (int j = 0; j < d; j++) {
          v[j] = eta * e[j] + g[j] - h[j];
        }
        long bytes = compressor.compress(v, out);
        for (int j = 0; j < d; j++) {
          e[j] = e[j] + g[j] - h[j] - out[j];
          if (shift) {
            h[j] = h[j] + out[j];
          }
        }
        return bytes;
      }
    }
  }

  /** Forgets the error and the shift (a new epoch: every replica resets its {@code hbar} too). */
  public void reset() {
    Arrays.fill(e, 0f);
    Arrays.fill(h, 0f);
  }

  /** The error {@code e_i} (live view; do not modify). */
  public float[] error() {
    return e;
  }

  /** The shift {@code h_i} (live view; do not modify). */
  public float[] shift() {
    return h;
  }

  /** {@code ||e_i||}. */
  public double errorNorm() {
    return norm(e);
  }

  /** {@code ||h_i||}. */
  public double shiftNorm() {
    return norm(h);
  }

  static double norm(float[] a) {
    double s = 0;
    for (float x : a) {
      s += (double) x * x;
    }
    return Math.sqrt(s);
  }
}
