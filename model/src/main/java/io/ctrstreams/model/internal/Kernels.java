package io.ctrstreams.model.internal;

import java.util.Arrays;

/**
 * Batched float kernels written so that C2's superword pass vectorizes their inner loops (Java
 * 17, no Vector API).
 *
 * <p>Matrices are arrays of rows ({@code float[][]}), not one flat array with row offsets: C2 (JDK
 * 17) only proves that a store to {@code y[j]} does not feed a load of {@code w[j + 1]} when both
 * index expressions have the same loop-invariant part. With flat arrays and per-row offsets
 * ({@code y[yr + j]}, {@code w[w0 + j]}) it must assume aliasing and leaves the loop scalar
 * (measured: 5-8 GFLOP/s flat versus 35-48 GFLOP/s with rows on the benchmark machine).
 *
 * <p>{@link #gemm} is the workhorse: {@code Y[c, :] += X[c, :] Wt} for a block of candidates,
 * weights stored transposed ([in][out]) so a weight row is contiguous. It walks the input six
 * rows at a time: per output vector, six fused multiply-adds for one load and one store of Y,
 * and the six weight rows stay in L1 while every candidate of the block passes over them, so
 * each weight is read from memory once per block instead of once per candidate.
 */
public final class Kernels {
  private Kernels() {}

  /**
   * {@code y[c][j] += sum_i x[c][xCol + i] * wt[wRow + i][j]} for {@code c < n}, {@code i < in},
   * {@code j < out}.
   */
  public static void gemm(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[][] y) {
    int i = 0;
    // Six input rows per pass: the most C2 (JDK 17) still vectorizes; eight rows stay scalar.
    for (; i + 6 <= in; i += 6) {
      float[] w0 = wt[wRow + i];
      float[] w1 = wt[wRow + i + 1];
      float[] w2 = wt[wRow + i + 2];
      float[] w3 = wt[wRow + i + 3];
      float[] w4 = wt[wRow + i + 4];
      float[] w5 = wt[wRow + i + 5];
      for (int c = 0; c < n; c++) {
        float[] xr = x[c];
        int k = xCol + i;
        float a0 = xr[k];
        float a1 = xr[k + 1];
        float a2 = xr[k + 2];
        float a3 = xr[k + 3];
        float a4 = xr[k + 4];
        float a5 = xr[k + 5];
        float[] yr = y[c];
        for (int j = 0; j < out; j++) {
          yr[j] = Math.fma(a5, w5[j], Math.fma(a4, w4[j], Math.fma(a3, w3[j],
              Math.fma(a2, w2[j], Math.fma(a1, w1[j], Math.fma(a0, w0[j], yr[j]))))));
        }
      }
    }
    if (i + 3 <= in) {
      float[] w0 = wt[wRow + i];
      float[] w1 = wt[wRow + i + 1];
      float[] w2 = wt[wRow + i + 2];
      for (int c = 0; c < n; c++) {
        float[] xr = x[c];
        int k = xCol + i;
        float a0 = xr[k];
        float a1 = xr[k + 1];
        float a2 = xr[k + 2];
        float[] yr = y[c];
        for (int j = 0; j < out; j++) {
          yr[j] = Math.fma(a2, w2[j], Math.fma(a1, w1[j], Math.fma(a0, w0[j], yr[j])));
        }
      }
      i += 3;
    }
    for (; i < in; i++) {
      float[] w0 = wt[wRow + i];
      for (int c = 0; c < n; c++) {
        float a0 = x[c][xCol + i];
        float[] yr = y[c];
        for (int j = 0; j < out; j++) {
          yr[j] = Math.fma(a0, w0[j], yr[j]);
        }
      }
    }
  }

  /**
   * The same product as {@link #gemm}, for the narrow (rank-wide, e.g. 64-float) outputs of a
   * low-rank layer's first factor. A separate copy on purpose: C2 sizes a loop's unrolling and
   * its pre/post loops from the trip counts profiled for that bytecode, and when one method
   * serves both 400-wide and 64-wide rows the 64-wide rows run largely in the scalar pre/post
   * loops (measured 24-25 GFLOP/s for 16x400x64 vs 35-37 from a copy that only sees narrow rows).
   */
  public static void gemmNarrow(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[][] y) {
    int i = out == 64 ? gemm64(x, xCol, n, in, wt, wRow, y) : 0;
    // Six input rows per pass: the most C2 (JDK 17) still vectorizes; eight rows stay scalar.
    for (; i + 6 <= in; i += 6) {
      float[] w0 = wt[wRow + i];
      float[] w1 = wt[wRow + i + 1];
      float[] w2 = wt[wRow + i + 2];
      float[] w3 = wt[wRow + i + 3];
      float[] w4 = wt[wRow + i + 4];
      float[] w5 = wt[wRow + i + 5];
      for (int c = 0; c < n; c++) {
        float[] xr = x[c];
        int k = xCol + i;
        float a0 = xr[k];
        float a1 = xr[k + 1];
        float a2 = xr[k + 2];
        float a3 = xr[k + 3];
        float a4 = xr[k + 4];
        float a5 = xr[k + 5];
        float[] yr = y[c];
        for (int j = 0; j < out; j++) {
          yr[j] = Math.fma(a5, w5[j], Math.fma(a4, w4[j], Math.fma(a3, w3[j],
              Math.fma(a2, w2[j], Math.fma(a1, w1[j], Math.fma(a0, w0[j], yr[j]))))));
        }
      }
    }
    if (i + 3 <= in) {
      float[] w0 = wt[wRow + i];
      float[] w1 = wt[wRow + i + 1];
      float[] w2 = wt[wRow + i + 2];
      for (int c = 0; c < n; c++) {
        float[] xr = x[c];
        int k = xCol + i;
        float a0 = xr[k];
        float a1 = xr[k + 1];
        float a2 = xr[k + 2];
        float[] yr = y[c];
        for (int j = 0; j < out; j++) {
          yr[j] = Math.fma(a2, w2[j], Math.fma(a1, w1[j], Math.fma(a0, w0[j], yr[j])));
        }
      }
      i += 3;
    }
    for (; i < in; i++) {
      float[] w0 = wt[wRow + i];
      for (int c = 0; c < n; c++) {
        float a0 = x[c][xCol + i];
        float[] yr = y[c];
        for (int j = 0; j < out; j++) {
          yr[j] = Math.fma(a0, w0[j], yr[j]);
        }
      }
    }
  }

  /** {@link #gemmNarrow} for {@code out == 64}: a constant trip count. */
  private static int gemm64(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, float[][] y) {
    int i = 0;
    for (; i + 6 <= in; i += 6) {
      float[] w0 = wt[wRow + i];
      float[] w1 = wt[wRow + i + 1];
      float[] w2 = wt[wRow + i + 2];
      float[] w3 = wt[wRow + i + 3];
      float[] w4 = wt[wRow + i + 4];
      float[] w5 = wt[wRow + i + 5];
      for (int c = 0; c < n; c++) {
        float[] xr = x[c];
        int k = xCol + i;
        float a0 = xr[k];
        float a1 = xr[k + 1];
        float a2 = xr[k + 2];
        float a3 = xr[k + 3];
        float a4 = xr[k + 4];
        float a5 = xr[k + 5];
        float[] yr = y[c];
        for (int j = 0; j < 64; j++) {
          yr[j] = Math.fma(a5, w5[j], Math.fma(a4, w4[j], Math.fma(a3, w3[j],
              Math.fma(a2, w2[j], Math.fma(a1, w1[j], Math.fma(a0, w0[j], yr[j]))))));
        }
      }
    }
    return i;
  }

  /** Sets the first {@code len} floats of rows {@code y[0 .. n)} to {@code b[0 .. len)}. */
  public static void broadcastRows(float[] b, int len, int n, float[][] y) {
    for (int c = 0; c < n; c++) {
      System.arraycopy(b, 0, y[c], 0, len);
    }
  }

  /** Sets each of the {@code n} rows of width {@code width} of row-major {@code y} to {@code row}. */
  public static void fillRows(float[] row, int n, int width, float[] y) {
    for (int r = 0; r < n; r++) {
      System.arraycopy(row, 0, y, r * width, width);
    }
  }

  /** In-place ReLU over the first {@code len} floats of rows {@code y[0 .. n)}. */
  public static void relu(float[][] y, int n, int len) {
    for (int c = 0; c < n; c++) {
      float[] r = y[c];
      for (int j = 0; j < len; j++) {
        r[j] = Math.max(r[j], 0f);
      }
    }
  }

  /**
   * {@code acc + sum_j w[wOff + j] * x[j]} for {@code j < len}, with eight independent
   * accumulators so the FMA latency chain does not bound it (float sums are not reassociated by
   * C2, so this stays scalar).
   */
  public static float dot(float[] w, int wOff, float[] x, int len, float acc) {
    float s0 = 0f;
    float s1 = 0f;
    float s2 = 0f;
    float s3 = 0f;
    float s4 = 0f;
    float s5 = 0f;
    float s6 = 0f;
    float s7 = 0f;
    int j = 0;
    for (; j + 8 <= len; j += 8) {
      int k = wOff + j;
      s0 = Math.fma(w[k], x[j], s0);
      s1 = Math.fma(w[k + 1], x[j + 1], s1);
      s2 = Math.fma(w[k + 2], x[j + 2], s2);
      s3 = Math.fma(w[k + 3], x[j + 3], s3);
      s4 = Math.fma(w[k + 4], x[j + 4], s4);
      s5 = Math.fma(w[k + 5], x[j + 5], s5);
      s6 = Math.fma(w[k + 6], x[j + 6], s6);
      s7 = Math.fma(w[k + 7], x[j + 7], s7);
    }
    for (; j < len; j++) {
      s0 = Math.fma(w[wOff + j], x[j], s0);
    }
    return acc + (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
  }

  /** Rows of a copy: {@code M [rows, cols] -> [rows][cols]}. */
  public static float[][] rows(float[] m, int rows, int cols) {
    float[][] t = new float[rows][];
    for (int r = 0; r < rows; r++) {
      t[r] = Arrays.copyOfRange(m, r * cols, r * cols + cols);
    }
    return t;
  }

  /** Rows of a transposed copy: {@code M [rows, cols] -> [cols][rows]}. */
  public static float[][] transposeRows(float[] m, int rows, int cols) {
    float[][] t = new float[cols][rows];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c][r] = m[r * cols + c];
      }
    }
    return t;
  }
}
