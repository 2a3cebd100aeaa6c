package io.ctrstreams.trainer.exchange;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.trainer.TrainerException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * EControl with eta measured per tensor and round ({@link ExchangeWorker#useMeasuredEtas}): the
 * contraction is the one of the vector actually compressed, the clamp holds, the bookkeeping
 * identity is untouched, and without the option nothing changes.
 */
class MeasuredEtaTest {
  private static final long SEED = 15L;
  /** A dense tensor of 100 values and a table of 50 rows of 4 (the table at 10% of its rows). */
  private static final ParamLayout LAYOUT = ParamLayout.builder().add("w", 100, 1).add("t", 200, 4).build();

  private static double[] floor(TopKCompressor c) {
    return new double[] {c.contraction(0), c.contraction(1)};
  }

  @Test
  void shouldSetEachTensorsEtaFromTheContractionOfTheCompressedVector() {
    TopKCompressor c = new TopKCompressor(LAYOUT, 0.1, 0.1, ValueEncoding.FP32);
    ExchangeWorker w = new ExchangeWorker(ExchangeAlgorithm.ECONTROL, c, LAYOUT.size(), 0.1);
    w.useMeasuredEtas(LAYOUT, floor(c), 0.5, 1);
    assertArrayEquals(new double[] {0.1, 0.1}, w.tensorEtas(), 0, "the first round uses the floor");
    float[] g = new float[LAYOUT.size()];
    // dense: 10 values of 3 and 90 of 1 -> top-10 carries 90 / (90 + 90) = 0.5 of the energy
    for (int j = 0; j < 100; j++) {
      g[j] = j < 10 ? 3f : 1f;
    }
    // table: only 3 of 50 rows non-zero, all sent (k = 5 rows): delta = 1, eta = 0.5 * 1
    for (int j = 100; j < 100 + 3 * 4; j++) {
      g[j] = -2f;
    }
    float[] out = new float[LAYOUT.size()];
    w.encode(g, out);
    assertArrayEquals(new double[] {0.25, 0.5}, w.tensorEtas(), 1e-12);
    // a tiny concentration gives scale * delta below the floor: the floor holds
    float[] flat = new float[LAYOUT.size()];
    java.util.Arrays.fill(flat, 100, 300, 1f);
    java.util.Arrays.fill(flat, 0, 100, 1f);
    ExchangeWorker fresh = new ExchangeWorker(ExchangeAlgorithm.ECONTROL, c, LAYOUT.size(), 0.1);
    fresh.useMeasuredEtas(LAYOUT, floor(c), 0.5, 1);
    fresh.encode(flat, out);
    assertArrayEquals(new double[] {0.1, 0.1}, fresh.tensorEtas(), 1e-12, "0.5 * 0.1 is below the floor 0.1");
    // and the cap holds above
    ExchangeWorker capped = new ExchangeWorker(ExchangeAlgorithm.ECONTROL, c, LAYOUT.size(), 0.1);
    capped.useMeasuredEtas(LAYOUT, floor(c), 1, 0.3);
    capped.encode(g, out);
    assertArrayEquals(new double[] {0.3, 0.3}, capped.tensorEtas(), 1e-12);
  }

  @Test
  void shouldKeepTheBookkeepingIdentityWithMeasuredEtas() {
    // sum_t g_i^t = e_i^T + sum_t (m h_i^t + D_i^t) as in ExchangeAlgorithmTest; eta only decides what is sent
    int n = 3;
    int d = LAYOUT.size();
    for (ShiftScope scope : ShiftScope.values()) {
      InProcessExchange ex = new InProcessExchange(ExchangeAlgorithm.ECONTROL, LAYOUT, n, 0.1, 0.2, ValueEncoding.FP16,
          Double.NaN, scope, false, 1, 1);
      SplittableRandom r = new SplittableRandom(SEED);
      double[][] sumG = new double[n][d];
      float[][] g = new float[n][d];
      float[] est = new float[d];
      double[][] sent = new double[n][d];
      double scale = 0;
      boolean moved = false;
      for (int t = 0; t < 200; t++) {
        float[][] before = new float[n][];
        for (int i = 0; i < n; i++) {
          before[i] = ex.worker(i).shift().clone();
          for (int j = 0; j < d; j++) {
            boolean rowTouched = j < 100 || r.nextInt(4) == 0;
            g[i][j] = rowTouched ? (float) (r.nextGaussian() + i - 1) : 0f;
            sumG[i][j] += g[i][j];
          }
        }
        ex.round(g, est);
        for (int i = 0; i < n; i++) {
          boolean[] m = ex.worker(i).touched();
          for (int j = 0; j < d; j++) {
            boolean masked = m != null && j >= 100 && !m[LAYOUT.firstUnit(1) + (j - 100) / 4];
            sent[i][j] += (masked ? 0 : before[i][j]) + ex.message(i)[j];
            scale = Math.max(scale, Math.abs(sent[i][j]));
          }
          double[] et = ex.worker(i).tensorEtas();
          moved |= et[0] > 0.2 || et[1] > 0.1;
        }
      }
      double worst = 0;
      for (int i = 0; i < n; i++) {
        float[] e = ex.worker(i).error();
        for (int j = 0; j < d; j++) {
          worst = Math.max(worst, Math.abs(sumG[i][j] - (e[j] + sent[i][j])));
        }
      }
      assertTrue(moved, scope + ": the measured eta left the floor");
      // float rounding only (as in ExchangeAlgorithmTest); a missing term would be O(1)
      assertTrue(worst <= 1e-5 * scale + 1e-3, scope + ": bookkeeping off by " + worst + " (scale " + scale + ")");
    }
  }

  @Test
  void shouldChangeNothingWithoutTheOptionOrWhenTheMeasuredEtaStaysAtTheFloor() {
    int n = 2;
    int d = LAYOUT.size();
    InProcessExchange plain = new InProcessExchange(ExchangeAlgorithm.ECONTROL, LAYOUT, n, 0.1, 0.2,
        ValueEncoding.FP16, Double.NaN, ShiftScope.TOUCHED_ROWS, true);
    InProcessExchange off = new InProcessExchange(ExchangeAlgorithm.ECONTROL, LAYOUT, n, 0.1, 0.2,
        ValueEncoding.FP16, Double.NaN, ShiftScope.TOUCHED_ROWS, true, Double.NaN, 1);
    // a scale so small that scale * delta < floor: eta_t = k_t / units_t every round, the per-tensor default
    InProcessExchange floor = new InProcessExchange(ExchangeAlgorithm.ECONTROL, LAYOUT, n, 0.1, 0.2,
        ValueEncoding.FP16, Double.NaN, ShiftScope.TOUCHED_ROWS, false, 1e-6, 1);
    SplittableRandom r = new SplittableRandom(SEED);
    float[][] g = new float[n][d];
    float[] a = new float[d];
    float[] b = new float[d];
    float[] c = new float[d];
    for (int t = 0; t < 100; t++) {
      for (float[] gi : g) {
        for (int j = 0; j < d; j++) {
          gi[j] = j < 100 || r.nextInt(3) == 0 ? (float) r.nextGaussian() : 0f;
        }
      }
      plain.round(g, a);
      off.round(g, b);
      floor.round(g, c);
      assertArrayEquals(a, b, 0f, "round " + t);
      assertArrayEquals(a, c, 0f, "round " + t);
    }
    assertNull(plain.worker(0).tensorEtas());
  }

  @Test
  void shouldIgnoreMeasuredEtasForOtherAlgorithms() {
    TopKCompressor c = new TopKCompressor(LAYOUT, 0.1, 0.1, ValueEncoding.FP32);
    ExchangeWorker ef = new ExchangeWorker(ExchangeAlgorithm.EF, c, LAYOUT.size(), 0.1);
    ef.useMeasuredEtas(LAYOUT, floor(c), 1, 1);
    assertNull(ef.tensorEtas());
    assertEquals(1f, ef.eta());
  }

  @Test
  void shouldRejectBadScaleCapAndFloorNamingTheValue() {
    TopKCompressor c = new TopKCompressor(LAYOUT, 0.1, 0.1, ValueEncoding.FP32);
    ExchangeWorker w = new ExchangeWorker(ExchangeAlgorithm.ECONTROL, c, LAYOUT.size(), 0.1);
    TrainerException e = assertThrows(TrainerException.class, () -> w.useMeasuredEtas(LAYOUT, floor(c), 0, 1));
    assertTrue(e.getMessage().contains("scale") && e.getMessage().contains("0.0"), e.getMessage());
    e = assertThrows(TrainerException.class, () -> w.useMeasuredEtas(LAYOUT, floor(c), Double.NaN, 1));
    assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    e = assertThrows(TrainerException.class, () -> w.useMeasuredEtas(LAYOUT, floor(c), 1, 1.5));
    assertTrue(e.getMessage().contains("cap") && e.getMessage().contains("1.5"), e.getMessage());
    e = assertThrows(TrainerException.class, () -> w.useMeasuredEtas(LAYOUT, new double[] {0.1, 0.4}, 1, 0.3));
    assertTrue(e.getMessage().contains("0.4") && e.getMessage().contains("0.3"), e.getMessage());
    e = assertThrows(TrainerException.class, () -> new ExchangeExperiment.Settings(2, ExchangeAlgorithm.ECONTROL,
        Double.NaN, 0.04, ValueEncoding.FP16, ExchangeExperiment.Partitioning.HETEROGENEOUS, 256, 100_000, 50_000,
        1_000, 1, 8, 1.0, 8, 100, new int[] {8}, io.ctrstreams.trainer.Trainer.Update.ADAPTIVE, Double.NaN, Double.NaN,
        ShiftScope.ALL, Double.NaN, false, 2.0, 1));
    assertTrue(e.getMessage().contains("2.0"), e.getMessage());
  }
}
