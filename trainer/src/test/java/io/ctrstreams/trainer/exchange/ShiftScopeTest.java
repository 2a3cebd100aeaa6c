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
 * {@link ShiftScope#TOUCHED_ROWS} against its equations (ShiftScope's Javadoc): the bookkeeping
 * identity with the contribution {@code m_i h_i + D_i}, the special cases (identity compressor,
 * eta = 1 without shift), replica state equal to the workers', and that a row without examples
 * gets no stale shift.
 */
class ShiftScopeTest {
  private static final long SEED = 1515L;
  /** A dense tensor of 6 and two tables of 10 rows x 3. */
  private static final ParamLayout LAYOUT = ParamLayout.builder().add("w", 6, 1).add("t1", 30, 3).add("t2", 30, 3)
      .build();

  /** Sparse round gradients: dense part always, each table row with probability p (value grid q). */
  private static void sparseGradients(SplittableRandom r, float[][] g, double p, float q) {
    for (float[] gi : g) {
      java.util.Arrays.fill(gi, 0f);
      for (int j = 0; j < 6; j++) {
        gi[j] = (r.nextInt(1024) - 512) * q;
      }
      for (int row = 0; row < 20; row++) {
        if (r.nextDouble() < p) {
          for (int c = 0; c < 3; c++) {
            gi[6 + row * 3 + c] = (r.nextInt(1024) - 500) * q; // never all zero in practice; mean > 0
          }
        }
      }
    }
  }

  @Test
  void shouldKeepTheBookkeepingIdentityWithMaskedShift() {
    int n = 3;
    int d = LAYOUT.size();
    for (ExchangeAlgorithm alg : new ExchangeAlgorithm[] {ExchangeAlgorithm.ECONTROL, ExchangeAlgorithm.EF21}) {
      InProcessExchange ex = new InProcessExchange(alg, LAYOUT, n, 0.2, ValueEncoding.FP16, 0.2,
          ShiftScope.TOUCHED_ROWS);
      SplittableRandom r = new SplittableRandom(SEED);
      double[][] sumG = new double[n][d];
      double[][] sumC = new double[n][d];
      float[][] g = new float[n][d];
      float[][] hBefore = new float[n][d];
      float[] est = new float[d];
      double scale = 0;
      for (int t = 0; t < 300; t++) {
        sparseGradients(r, g, 0.3, 1f / 256);
        for (int i = 0; i < n; i++) {
          System.arraycopy(ex.worker(i).shift(), 0, hBefore[i], 0, d);
          for (int j = 0; j < d; j++) {
            sumG[i][j] += g[i][j];
          }
        }
        ex.round(g, est);
        for (int i = 0; i < n; i++) {
          boolean[] m = ex.worker(i).touched();
          for (int j = 0; j < d; j++) {
            boolean mj = m[j < 6 ? j : 6 + (j - 6) / 3]; // unit of value j: 6 elements, then rows of 3
            sumC[i][j] += (mj ? hBefore[i][j] : 0f) + ex.message(i)[j];
            scale = Math.max(scale, Math.abs(sumC[i][j]));
          }
        }
      }
      double worst = 0;
      for (int i = 0; i < n; i++) {
        float[] e = ex.worker(i).error();
        for (int j = 0; j < d; j++) {
          worst = Math.max(worst, Math.abs(sumG[i][j] - (e[j] + sumC[i][j])));
        }
      }
      // float rounding only (measured below 1e-4 here); a missing or doubled h term would be O(1)
      assertTrue(worst <= 1e-5 * scale + 1e-3, alg + ": bookkeeping off by " + worst + " (scale " + scale + ")");
    }
  }

  @Test
  void shouldGiveUncompressedBitForBitWithTheIdentityCompressorOnSparseRows() {
    // gradients on a 1/64 grid below 8, step 1/8, n = 4: every float operation is exact
    int n = 4;
    int d = LAYOUT.size();
    float gamma = 0.125f;
    for (ExchangeAlgorithm alg : new ExchangeAlgorithm[] {ExchangeAlgorithm.ECONTROL, ExchangeAlgorithm.EF21}) {
      ExchangeWorker[] w = new ExchangeWorker[n];
      for (int i = 0; i < n; i++) {
        w[i] = new ExchangeWorker(alg, Compressor.identity(LAYOUT), LAYOUT, 0.5, ShiftScope.TOUCHED_ROWS);
      }
      InProcessExchange ex = new InProcessExchange(w, new ExchangeAggregator(alg, LAYOUT, n, ShiftScope.TOUCHED_ROWS),
          d);
      SplittableRandom r = new SplittableRandom(SEED);
      float[] x = new float[d];
      float[] sgd = new float[d];
      float[][] g = new float[n][d];
      float[] est = new float[d];
      for (int t = 0; t < 300; t++) {
        sparseGradients(r, g, 0.3, 1f / 64);
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
  void shouldBeClassicErrorFeedbackBitForBitWithEtaOneAndNoShift() {
    int n = 3;
    int d = LAYOUT.size();
    ExchangeWorker[] masked = new ExchangeWorker[n];
    for (int i = 0; i < n; i++) {
      masked[i] = new ExchangeWorker(ExchangeAlgorithm.ECONTROL, new TopKCompressor(LAYOUT, 0.2, ValueEncoding.FP16), d,
          1.0, false, LAYOUT);
    }
    InProcessExchange a = new InProcessExchange(masked, new ExchangeAggregator(d, false), d);
    InProcessExchange b = new InProcessExchange(ExchangeAlgorithm.EF, LAYOUT, n, 0.2, ValueEncoding.FP16, Double.NaN);
    SplittableRandom r = new SplittableRandom(SEED);
    float[][] g = new float[n][d];
    float[] ea = new float[d];
    float[] eb = new float[d];
    for (int t = 0; t < 500; t++) {
      sparseGradients(r, g, 0.3, 1f / 1000);
      a.round(g, ea);
      b.round(g, eb);
      assertArrayEquals(eb, ea, 0f, "round " + t);
    }
    for (int i = 0; i < n; i++) {
      assertArrayEquals(b.worker(i).error(), a.worker(i).error(), 0f);
    }
  }

  @Test
  void shouldBeThePaperAlgorithmBitForBitWithScopeAll() {
    int n = 3;
    int d = LAYOUT.size();
    InProcessExchange a = new InProcessExchange(ExchangeAlgorithm.ECONTROL, LAYOUT, n, 0.2, ValueEncoding.FP16, 0.1,
        ShiftScope.ALL);
    ExchangeWorker[] plain = new ExchangeWorker[n];
    for (int i = 0; i < n; i++) {
      plain[i] = new ExchangeWorker(ExchangeAlgorithm.ECONTROL, new TopKCompressor(LAYOUT, 0.2, ValueEncoding.FP16), d,
          0.1);
    }
    InProcessExchange b = new InProcessExchange(plain, new ExchangeAggregator(ExchangeAlgorithm.ECONTROL, d), d);
    SplittableRandom r = new SplittableRandom(SEED);
    float[][] g = new float[n][d];
    float[] ea = new float[d];
    float[] eb = new float[d];
    for (int t = 0; t < 300; t++) {
      sparseGradients(r, g, 0.3, 1f / 1000);
      b.round(g, eb);
      a.round(g, ea);
      assertEquals(b.lastRoundBytes(), a.lastRoundBytes());
      assertArrayEquals(eb, ea, 0f, "round " + t);
    }
  }

  @Test
  void shouldKeepEveryReplicaShiftEqualToTheWorkers() {
    int n = 4;
    int d = LAYOUT.size();
    InProcessExchange ex = new InProcessExchange(ExchangeAlgorithm.ECONTROL, LAYOUT, n, 0.2, ValueEncoding.FP16,
        Double.NaN, ShiftScope.TOUCHED_ROWS);
    // a second replica fed the same messages and masks must form the same estimate
    ExchangeAggregator other = new ExchangeAggregator(ExchangeAlgorithm.ECONTROL, LAYOUT, n, ShiftScope.TOUCHED_ROWS);
    SplittableRandom r = new SplittableRandom(SEED);
    float[][] g = new float[n][d];
    float[] est = new float[d];
    float[] est2 = new float[d];
    float[][] msgs = new float[n][];
    boolean[][] masks = new boolean[n][];
    for (int t = 0; t < 400; t++) {
      sparseGradients(r, g, 0.2, 1f / 1000);
      ex.round(g, est);
      for (int i = 0; i < n; i++) {
        msgs[i] = ex.message(i);
        masks[i] = ex.worker(i).touched();
      }
      other.estimate(msgs, masks, n, est2);
      assertArrayEquals(est, est2, 0f, "round " + t);
    }
    // every replica's copy of h_i is the worker's own h_i, bit for bit, on the table rows
    for (int i = 0; i < n; i++) {
      float[] h = ex.worker(i).shift();
      float[] kept = other.workerShift(i);
      assertArrayEquals(java.util.Arrays.copyOfRange(h, 6, d), java.util.Arrays.copyOfRange(kept, 6, d), 0f,
          "worker " + i);
      assertTrue(ExchangeWorker.norm(h) > 0, "the shift moved");
    }
  }

  @Test
  void shouldNotReapplyTheShiftToRowsWithoutExamples() {
    // one worker, a table of 4 rows x 2, top-1 row per round. Round 0 touches row 1 only: it is
    // sent, h = g^0. Round 1 touches row 3 only, with the larger norm, so row 3 is sent and row 1
    // is not: the paper's estimate hbar + Dbar applies row 1's stale h again; touched-rows gives
    // row 1 nothing (its e is 0, nothing is owed).
    ParamLayout layout = ParamLayout.builder().add("t", 8, 2).build();
    for (ShiftScope scope : ShiftScope.values()) {
      InProcessExchange ex = new InProcessExchange(ExchangeAlgorithm.ECONTROL, layout, 1, 0.25, ValueEncoding.FP32,
          0.25, scope);
      float[][] g = new float[1][8];
      float[] est = new float[8];
      g[0][2] = 1f;
      g[0][3] = -2f;
      ex.round(g, est);
      assertArrayEquals(new float[] {0, 0, 1, -2, 0, 0, 0, 0}, est, 0f, scope + " round 0");
      g[0][2] = 0f;
      g[0][3] = 0f;
      g[0][6] = 10f;
      ex.round(g, est);
      if (scope == ShiftScope.ALL) {
        assertArrayEquals(new float[] {0, 0, 1, -2, 0, 0, 10, 0}, est, 0f, scope + " round 1: stale shift");
        assertArrayEquals(new float[] {0, 0, -1, 2, 0, 0, 0, 0}, ex.worker(0).error(), 0f, "owed back via e");
      } else {
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0, 10, 0}, est, 0f, scope + " round 1");
        assertArrayEquals(new float[8], ex.worker(0).error(), 0f, "nothing owed");
        assertArrayEquals(new boolean[] {false, false, false, true}, ex.worker(0).touched());
      }
    }
  }

  @Test
  void shouldCountTheMasksInTheWireSizeAndRejectBadNames() {
    assertEquals(1 + 2, RowMasks.tableBytes(10, 3, 3)); // header + bitmap of 10 rows (list: 3 bytes)
    assertEquals(1 + 2, RowMasks.tableBytes(2000, 1, 2)); // header + one gap of 2 bytes (bitmap: 250)
    assertEquals(1, RowMasks.tableBytes(2000, 0, 0));
    assertEquals(2 + 250, RowMasks.tableBytes(2000, 1000, 1000)); // 2-byte header, bitmap
    InProcessExchange all = new InProcessExchange(ExchangeAlgorithm.ECONTROL, LAYOUT, 1, 0.2, ValueEncoding.FP32, 0.2,
        ShiftScope.ALL);
    InProcessExchange rows = new InProcessExchange(ExchangeAlgorithm.ECONTROL, LAYOUT, 1, 0.2, ValueEncoding.FP32, 0.2,
        ShiftScope.TOUCHED_ROWS);
    float[][] g = new float[1][LAYOUT.size()];
    g[0][6] = 1f; // one row of t1
    float[] est = new float[LAYOUT.size()];
    all.round(g, est);
    rows.round(g, est);
    // t1: one touched row, header + its 1-byte gap (the bitmap would take 2); t2: none touched, header only
    assertEquals(all.lastRoundBytes() + 2 + 1, rows.lastRoundBytes());
    TrainerException e = assertThrows(TrainerException.class, () -> ShiftScope.parse("rows"));
    assertTrue(e.getMessage().contains("'rows'") && e.getMessage().contains("touched-rows"), e.getMessage());
    assertEquals(ShiftScope.TOUCHED_ROWS, ShiftScope.parse("Touched-Rows"));
  }
}
