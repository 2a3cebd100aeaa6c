package io.ctrstreams.model.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The GEMM copies agree with a plain triple loop, including the constant-width (64) path. */
public class KernelsTest {
  @Test
  void gemmNarrowShouldMatchNaiveProductForWidth64AndOddSizes() {
    Random rnd = new Random(7);
    for (int out : new int[] {1, 5, 63, 64, 65}) {
      for (int in : new int[] {1, 5, 6, 7, 400, 401}) {
        for (int n : new int[] {1, 3, 16}) {
          int xCol = 2;
          int wRow = 3;
          float[][] x = random(rnd, n, xCol + in);
          float[][] wt = random(rnd, wRow + in, out);
          float[][] y = random(rnd, n, out);
          float[][] y2 = new float[n][];
          for (int c = 0; c < n; c++) {
            y2[c] = y[c].clone();
          }
          double[][] expected = new double[n][out];
          for (int c = 0; c < n; c++) {
            for (int j = 0; j < out; j++) {
              double s = y[c][j];
              for (int i = 0; i < in; i++) {
                s += (double) x[c][xCol + i] * wt[wRow + i][j];
              }
              expected[c][j] = s;
            }
          }
          Kernels.gemmNarrow(x, xCol, n, in, wt, wRow, out, y);
          Kernels.gemm(x, xCol, n, in, wt, wRow, out, y2);
          for (int c = 0; c < n; c++) {
            for (int j = 0; j < out; j++) {
              double tol = 1e-4 * (1 + Math.abs(expected[c][j]));
              assertThat((double) y[c][j]).as("narrow n=%d in=%d out=%d [%d][%d]", n, in, out, c, j)
                  .isCloseTo(expected[c][j], within(tol));
              assertThat((double) y2[c][j]).as("gemm n=%d in=%d out=%d [%d][%d]", n, in, out, c, j)
                  .isCloseTo(expected[c][j], within(tol));
            }
          }
        }
      }
    }
  }

  /** A rows x cols matrix of uniform values in [-1, 1) (also used by ctr-simd's kernel tests). */
  @Test
  void dot16ShouldFollowItsStatedOrder() {
    Random rnd = new Random(4);
    for (int len = 0; len <= 70; len++) {
      for (boolean relu : new boolean[] {false, true}) {
        float[] w = random(rnd, 1, len + 3)[0];
        float[] x = random(rnd, 1, len)[0];
        float[] s = new float[16];
        for (int j = 0; j < len; j++) {
          s[j % 16] = Math.fma(w[3 + j], relu ? Math.max(x[j], 0f) : x[j], s[j % 16]);
        }
        float[] u = new float[8];
        for (int l = 0; l < 8; l++) {
          u[l] = s[l] + s[l + 8];
        }
        float tree = ((u[0] + u[4]) + (u[2] + u[6])) + ((u[1] + u[5]) + (u[3] + u[7]));
        assertThat(Kernels.dot16(w, 3, x, len, 0.5f, relu)).as("len %d relu %s", len, relu).isEqualTo(0.5f + tree);
      }
    }
  }

  @Test
  void rowAffineShouldProjectFromTheBias() {
    float[] w = {1, 2, 3, 4, 5, 6}; // [2][3]
    float[] y = new float[6];
    Kernels.rowAffine(new float[] {9, 2, -1}, 1, 2, w, new float[] {0.5f, 0, 1}, 3, y, 2);
    assertThat(y).containsExactly(0, 0, 2 * 1 - 4 + 0.5f, 2 * 2 - 5, 2 * 3 - 6 + 1, 0);
  }

  public static float[][] random(Random rnd, int rows, int cols) {
    float[][] m = new float[rows][cols];
    for (float[] r : m) {
      for (int j = 0; j < cols; j++) {
        r[j] = rnd.nextFloat() * 2 - 1;
      }
    }
    return m;
  }
}
