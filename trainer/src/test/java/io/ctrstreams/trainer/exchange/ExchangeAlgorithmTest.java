package io.ctrstreams.trainer.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.trainer.TrainerException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The exchange algorithms against their definitions ({@link ExchangeAlgorithm}) and against the
 * behaviour the EControl paper predicts. Tolerances are from measured runs (stated per test).
 */
class ExchangeAlgorithmTest {
  private static final long SEED = 15L;

  @Test
  void shouldKeepTheBookkeepingIdentity() {
    // sum_t g_i^t = e_i^T + sum_t h_i^{t+1} (h after each round's update, i.e. h_i^t + D_i^t)
    int n = 3;
    int d = 16;
    ParamLayout layout = ParamLayout.dense(d);
    for (ExchangeAlgorithm alg : new ExchangeAlgorithm[] {ExchangeAlgorithm.ECONTROL, ExchangeAlgorithm.EF21}) {
      InProcessExchange ex = new InProcessExchange(alg, layout, n, 0.25, ValueEncoding.FP16, 0.3);
      SplittableRandom r = new SplittableRandom(SEED);
      double[][] sumG = new double[n][d];
      double[][] sumH = new double[n][d];
      float[][] g = new float[n][d];
      float[] est = new float[d];
      double scale = 0;
      for (int t = 0; t < 200; t++) {
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < d; j++) {
            g[i][j] = (float) (r.nextGaussian() + i - 1); // heterogeneous means
            sumG[i][j] += g[i][j];
          }
        }
        ex.round(g, est);
        for (int i = 0; i < n; i++) {
          float[] h = ex.worker(i).shift();
          for (int j = 0; j < d; j++) {
            sumH[i][j] += h[j];
            scale = Math.max(scale, Math.abs(sumH[i][j]));
          }
        }
      }
      double worst = 0;
      for (int i = 0; i < n; i++) {
        float[] e = ex.worker(i).error();
        for (int j = 0; j < d; j++) {
          worst = Math.max(worst, Math.abs(sumG[i][j] - (e[j] + sumH[i][j])));
        }
      }
      // float rounding only: measured 2e-4 on sums of size ~300; a missing term would be O(1)
      assertTrue(worst <= 1e-5 * scale + 1e-3, alg + ": bookkeeping off by " + worst + " (scale " + scale + ")");
    }
  }

  @Test
  void shouldGiveUncompressedSgdBitForBitWithTheIdentityCompressor() {
    // Gradients are multiples of 1/64 below 8, the step 1/8, n = 4: every float operation of both
    // paths is exact, so any difference is an algebra error, not rounding.
    int n = 4;
    int d = 8;
    float gamma = 0.125f;
    for (ExchangeAlgorithm alg : new ExchangeAlgorithm[] {ExchangeAlgorithm.ECONTROL, ExchangeAlgorithm.EF21,
        ExchangeAlgorithm.EF, ExchangeAlgorithm.NONE}) {
      ExchangeWorker[] w = new ExchangeWorker[n];
      for (int i = 0; i < n; i++) {
        w[i] = new ExchangeWorker(alg, Compressor.identity(ParamLayout.dense(d)), d, 0.5);
      }
      InProcessExchange ex = new InProcessExchange(w, new ExchangeAggregator(alg, d), d);
      SplittableRandom r = new SplittableRandom(SEED);
      float[] x = new float[d];
      float[] sgd = new float[d];
      float[][] g = new float[n][d];
      float[] est = new float[d];
      for (int t = 0; t < 300; t++) {
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < d; j++) {
            g[i][j] = (r.nextInt(1024) - 512) / 64f + (i == 0 ? 2f : 0f);
          }
        }
        ex.round(g, est);
        for (int j = 0; j < d; j++) {
          x[j] -= gamma * est[j];
          float s = g[0][j];
          for (int i = 1; i < n; i++) {
            s += g[i][j];
          }
          sgd[j] -= gamma * (s / n);
        }
        assertArrayEquals(sgd, x, 0f, alg + " differs from SGD at round " + t);
      }
      for (int i = 0; i < n; i++) {
        assertArrayEquals(new float[d], w[i].error(), 0f, alg + ": identity leaves no error");
      }
    }
  }

  @Test
  void shouldStayWithinRoundingOfSgdWithTheIdentityCompressorOnArbitraryFloats() {
    ExchangeProblems.LeastSquares ls = new ExchangeProblems.LeastSquares(4, 10, 20, 2.0, SEED);
    int d = 10;
    ExchangeWorker[] w = new ExchangeWorker[4];
    for (int i = 0; i < 4; i++) {
      w[i] = new ExchangeWorker(ExchangeAlgorithm.ECONTROL, Compressor.identity(ParamLayout.dense(d)), d, 0.1);
    }
    InProcessExchange ex = new InProcessExchange(w, new ExchangeAggregator(ExchangeAlgorithm.ECONTROL, d), d);
    InProcessExchange plain = new InProcessExchange(ExchangeAlgorithm.UNCOMPRESSED, ParamLayout.dense(d), 4, 1,
        ValueEncoding.FP32, 0);
    float[] x = new float[d];
    float[] y = new float[d];
    float[][] gx = new float[4][d];
    float[][] gy = new float[4][d];
    float[] ex1 = new float[d];
    float[] ex2 = new float[d];
    for (int t = 0; t < 500; t++) {
      for (int i = 0; i < 4; i++) {
        ls.gradient(i, x, gx[i]);
        ls.gradient(i, y, gy[i]);
      }
      ex.round(gx, ex1);
      plain.round(gy, ex2);
      for (int j = 0; j < d; j++) {
        x[j] -= 0.1f * ex1[j];
        y[j] -= 0.1f * ex2[j];
      }
    }
    for (int j = 0; j < d; j++) {
      assertEquals(y[j], x[j], 1e-5 * (1 + Math.abs(y[j])), "coordinate " + j);
    }
  }

  @Test
  void shouldBeClassicErrorFeedbackBitForBitWithEtaOneAndNoShift() {
    int n = 5;
    int d = 20;
    ParamLayout layout = ParamLayout.dense(d);
    ExchangeProblems.LeastSquares ls = new ExchangeProblems.LeastSquares(n, d, 30, 3.0, SEED);
    ExchangeWorker[] general = new ExchangeWorker[n];
    for (int i = 0; i < n; i++) {
      general[i] = new ExchangeWorker(ExchangeAlgorithm.ECONTROL, new TopKCompressor(layout, 0.1, ValueEncoding.FP16),
          d, 1.0, false);
    }
    InProcessExchange a = new InProcessExchange(general, new ExchangeAggregator(d, false), d);
    InProcessExchange b = new InProcessExchange(ExchangeAlgorithm.EF, layout, n, 0.1, ValueEncoding.FP16, Double.NaN);
    float[] xa = new float[d];
    float[] xb = new float[d];
    float[][] ga = new float[n][d];
    float[][] gb = new float[n][d];
    float[] ea = new float[d];
    float[] eb = new float[d];
    for (int t = 0; t < 1000; t++) {
      for (int i = 0; i < n; i++) {
        ls.gradient(i, xa, ga[i]);
        ls.gradient(i, xb, gb[i]);
      }
      a.round(ga, ea);
      b.round(gb, eb);
      for (int j = 0; j < d; j++) {
        xa[j] -= 0.05f * ea[j];
        xb[j] -= 0.05f * eb[j];
      }
      assertArrayEquals(xb, xa, 0f, "round " + t);
    }
    for (int i = 0; i < n; i++) {
      assertArrayEquals(b.worker(i).error(), a.worker(i).error(), 0f);
      assertArrayEquals(new float[d], a.worker(i).shift(), 0f);
    }
  }

  /** Runs the opposing three-worker quadratic from (1, 1, 1); returns ||x|| after each 100 rounds. */
  private static double[] opposing(ExchangeAlgorithm alg, double eta, double gamma, int rounds) {
    InProcessExchange ex = new InProcessExchange(alg, ParamLayout.dense(3), 3, 1.0 / 3, ValueEncoding.FP32, eta);
    float[] x = {1, 1, 1};
    float[][] g = new float[3][3];
    float[] est = new float[3];
    double[] norms = new double[rounds / 100];
    for (int t = 1; t <= rounds; t++) {
      for (int i = 0; i < 3; i++) {
        ExchangeProblems.opposing(i, x, g[i]);
      }
      ex.round(g, est);
      for (int j = 0; j < 3; j++) {
        x[j] -= (float) gamma * est[j];
      }
      if (t % 100 == 0) {
        norms[t / 100 - 1] = ExchangeProblems.distance(x, new double[3]);
      }
    }
    return norms;
  }

  @Test
  void shouldDivergeWithTopOneAndNoFeedbackButConvergeWithFeedback() {
    // measured (gamma 0.01): none reaches 4.8e4 after 500 rounds; ef, ef21, econtrol are below
    // 1.2e-7 after 2000 rounds (float floor; uncompressed 4e-9 at 1000)
    double[] none = opposing(ExchangeAlgorithm.NONE, 0, 0.01, 500);
    for (int k = 1; k < none.length; k++) {
      assertTrue(none[k] > none[k - 1], "none should grow every 100 rounds: " + java.util.Arrays.toString(none));
    }
    assertTrue(none[none.length - 1] > 1e3, "none after 500 rounds: " + none[none.length - 1]);
    for (ExchangeAlgorithm alg : new ExchangeAlgorithm[] {ExchangeAlgorithm.EF, ExchangeAlgorithm.EF21,
        ExchangeAlgorithm.ECONTROL}) {
      for (double eta : alg == ExchangeAlgorithm.ECONTROL ? new double[] {Double.NaN, 0.05, 0.2} : new double[] {0}) {
        double[] norms = opposing(alg, eta, 0.01, 2000);
        assertTrue(norms[norms.length - 1] < 1e-6, alg + " eta " + eta + " after 2000 rounds: " + norms[norms.length - 1]);
      }
    }
  }

  private static double[] leastSquares(ExchangeAlgorithm alg, double eta, int rounds) {
    ExchangeProblems.LeastSquares ls = new ExchangeProblems.LeastSquares(10, 20, 40, 3.0, 42);
    double[] opt = ls.optimum();
    InProcessExchange ex = new InProcessExchange(alg, ParamLayout.dense(20), 10, 0.05, ValueEncoding.FP32, eta);
    float[] x = new float[20];
    float[][] g = new float[10][20];
    float[] est = new float[20];
    double[] dist = new double[rounds / 1000];
    for (int t = 1; t <= rounds; t++) {
      for (int i = 0; i < 10; i++) {
        ls.gradient(i, x, g[i]);
      }
      ex.round(g, est);
      for (int j = 0; j < 20; j++) {
        x[j] -= 0.05f * est[j];
      }
      if (t % 1000 == 0) {
        dist[t / 1000 - 1] = ExchangeProblems.distance(x, opt);
      }
    }
    return dist;
  }

  @Test
  void shouldRemoveTheErrorFeedbackBiasOnHeterogeneousLeastSquares() {
    // 10 workers, d = 20, top-1 (k/d = 0.05), step 0.05, full local gradients, optimum by the
    // normal equations in double. Measured: econtrol (default eta = 0.05, and 0.01) and
    // uncompressed reach 1.34e-4 (the float floor of the gradients) by round 7500; ef stays
    // between 0.039 and 0.070 from round 2500 to 20000; none stays at 4.8.
    double floor = leastSquares(ExchangeAlgorithm.UNCOMPRESSED, 0, 10000)[9];
    assertTrue(floor < 1e-3, "uncompressed distance " + floor);
    for (double eta : new double[] {Double.NaN, 0.01}) {
      double[] ec = leastSquares(ExchangeAlgorithm.ECONTROL, eta, 10000);
      assertTrue(ec[9] < 2 * floor, "econtrol eta " + eta + " distance " + ec[9] + ", uncompressed " + floor);
    }
    double[] ef = leastSquares(ExchangeAlgorithm.EF, 0, 10000);
    for (int k = 4; k < ef.length; k++) {
      assertTrue(ef[k] > 0.02, "ef should keep its bias, distance " + ef[k] + " at round " + (k + 1) * 1000);
    }
  }

  @Test
  void shouldDivergeWithEtaFarAboveTheContraction() {
    // measured: eta = 0.2 with k/d = 0.05 grows past 1e21 by round 2500
    double[] big = leastSquares(ExchangeAlgorithm.ECONTROL, 0.2, 3000);
    assertTrue(big[2] > 1e6 || Double.isNaN(big[2]), "eta 0.2 distance " + big[2]);
  }

  @Test
  void shouldRejectBadSettingsNamingTheValue() {
    TrainerException e = assertThrows(TrainerException.class, () -> ExchangeAlgorithm.parse("ef22"));
    assertTrue(e.getMessage().contains("'ef22'") && e.getMessage().contains("econtrol"), e.getMessage());
    assertEquals(ExchangeAlgorithm.EF21, ExchangeAlgorithm.parse("EF21"));
    e = assertThrows(TrainerException.class, () -> new ExchangeWorker(ExchangeAlgorithm.ECONTROL,
        Compressor.identity(ParamLayout.dense(2)), 2, -0.5));
    assertTrue(e.getMessage().contains("-0.5"), e.getMessage());
    e = assertThrows(TrainerException.class, () -> new TopKCompressor(ParamLayout.dense(2), 1.5, ValueEncoding.FP32));
    assertTrue(e.getMessage().contains("1.5"), e.getMessage());
  }

  @Test
  void shouldUseEachTensorsOwnEtaWhenAsked() {
    ParamLayout layout = ParamLayout.builder().add("w", 100, 1).add("t", 100, 2).build();
    int n = 3;
    int d = layout.size();
    // equal k_t / units_t (0.1 everywhere): per-tensor eta is the scalar default bit for bit
    InProcessExchange scalar = new InProcessExchange(ExchangeAlgorithm.ECONTROL, layout, n, 0.1, 0.1,
        ValueEncoding.FP16, Double.NaN, ShiftScope.ALL, false);
    InProcessExchange tensor = new InProcessExchange(ExchangeAlgorithm.ECONTROL, layout, n, 0.1, 0.1,
        ValueEncoding.FP16, Double.NaN, ShiftScope.ALL, true);
    // dense 0.5, tables 0.1: eta 0.5 on w (its own k/d) instead of the overall min 0.1
    InProcessExchange mixed = new InProcessExchange(ExchangeAlgorithm.ECONTROL, layout, 1, 0.1, 0.5,
        ValueEncoding.FP32, Double.NaN, ShiftScope.ALL, true);
    ExchangeWorker manual = new ExchangeWorker(ExchangeAlgorithm.ECONTROL, new TopKCompressor(layout, 0.1, 0.5,
        ValueEncoding.FP32), d, 0.1);
    double[] etas = new double[] {0.5, 0.1};
    manual.useTensorEtas(layout, etas);
    float[] manualOut = new float[d];
    SplittableRandom r = new SplittableRandom(SEED);
    float[][] g = new float[n][d];
    float[] a = new float[d];
    float[] b = new float[d];
    float[] c = new float[d];
    boolean differs = false;
    InProcessExchange minEta = new InProcessExchange(ExchangeAlgorithm.ECONTROL, layout, 1, 0.1, 0.5,
        ValueEncoding.FP32, Double.NaN, ShiftScope.ALL, false);
    for (int t = 0; t < 200; t++) {
      for (float[] gi : g) {
        for (int j = 0; j < d; j++) {
          gi[j] = (float) (r.nextGaussian() + 0.3);
        }
      }
      scalar.round(g, a);
      tensor.round(g, b);
      assertArrayEquals(a, b, 0f, "round " + t);
      mixed.round(new float[][] {g[0]}, c);
      manual.encode(g[0], manualOut);
      assertArrayEquals(manualOut, mixed.message(0), 0f, "round " + t);
      minEta.round(new float[][] {g[0]}, a);
      differs |= !java.util.Arrays.equals(a, c);
    }
    assertTrue(differs, "eta 0.5 on the dense tensor changes the messages");
    assertEquals(0.5, new TopKCompressor(layout, 0.1, 0.5, ValueEncoding.FP32).contraction(0), 1e-12);
    TrainerException e = assertThrows(TrainerException.class, () -> manual.useTensorEtas(layout, new double[] {0.1}));
    assertTrue(e.getMessage().contains("2 values"), e.getMessage());
    e = assertThrows(TrainerException.class, () -> manual.useTensorEtas(layout, new double[] {0.1, -2}));
    assertTrue(e.getMessage().contains("-2"), e.getMessage());
  }
}
