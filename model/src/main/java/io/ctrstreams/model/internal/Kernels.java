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
   * {@code y[yOff + j] = bias[j] + sum_i x[xOff + i] * w[i * out + j]} for {@code j < out}: one
   * short row through a small row-major [in][out] matrix (a low-rank embedding's projection of
   * its code), accumulated per element from the bias over {@code i} in increasing order with one
   * fused multiply-add per term.
   */
  public static void rowAffine(float[] x, int xOff, int in, float[] w, float[] bias, int out, float[] y, int yOff) {
    System.arraycopy(bias, 0, y, yOff, out);
    for (int i = 0; i < in; i++) {
      float a = x[xOff + i];
      int p = i * out;
      for (int j = 0; j < out; j++) {
        y[yOff + j] = Math.fma(a, w[p + j], y[yOff + j]);
      }
    }
  }

  /**
   * {@code acc + sum_j w[wOff + j] * act(x[j])} for {@code j < len}, act = ReLU ({@code
   * Math.max(v, 0f)}) when {@code relu}: the output unit, in the order {@link MatMul#dot16}
   * defines (sixteen lane sums, each term one fused multiply-add into lane {@code j % 16} in
   * increasing {@code j}, then a pairwise tree).
   */
  public static float dot16(float[] w, int wOff, float[] x, int len, float acc, boolean relu) {
    float s0 = 0f;
    float s1 = 0f;
    float s2 = 0f;
    float s3 = 0f;
    float s4 = 0f;
    float s5 = 0f;
    float s6 = 0f;
    float s7 = 0f;
    float s8 = 0f;
    float s9 = 0f;
    float s10 = 0f;
    float s11 = 0f;
    float s12 = 0f;
    float s13 = 0f;
    float s14 = 0f;
    float s15 = 0f;
    int j = 0;
    for (; j + 16 <= len; j += 16) {
      int k = wOff + j;
      s0 = Math.fma(w[k], act(x[j], relu), s0);
      s1 = Math.fma(w[k + 1], act(x[j + 1], relu), s1);
      s2 = Math.fma(w[k + 2], act(x[j + 2], relu), s2);
      s3 = Math.fma(w[k + 3], act(x[j + 3], relu), s3);
      s4 = Math.fma(w[k + 4], act(x[j + 4], relu), s4);
      s5 = Math.fma(w[k + 5], act(x[j + 5], relu), s5);
      s6 = Math.fma(w[k + 6], act(x[j + 6], relu), s6);
      s7 = Math.fma(w[k + 7], act(x[j + 7], relu), s7);
      s8 = Math.fma(w[k + 8], act(x[j + 8], relu), s8);
      s9 = Math.fma(w[k + 9], act(x[j + 9], relu), s9);
      s10 = Math.fma(w[k + 10], act(x[j + 10], relu), s10);
      s11 = Math.fma(w[k + 11], act(x[j + 11], relu), s11);
      s12 = Math.fma(w[k + 12], act(x[j + 12], relu), s12);
      s13 = Math.fma(w[k + 13], act(x[j + 13], relu), s13);
      s14 = Math.fma(w[k + 14], act(x[j + 14], relu), s14);
      s15 = Math.fma(w[k + 15], act(x[j + 15], relu), s15);
    }
    return acc + dot16Tail(w, wOff, x, j, len, relu, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13,
        s14, s15);
  }

  /**
   * The tail {@code [j, len)} (fewer than 16 terms) of {@link #dot16} into lanes {@code 0 ..
   * len - j}, then the tree {@code ((((s_l + s_{l+8}) + ..4 apart) + ..2 apart) + ..1 apart)}.
   */
  public static float dot16Tail(float[] w, int wOff, float[] x, int j, int len, boolean relu, float s0, float s1,
      float s2, float s3, float s4, float s5, float s6, float s7, float s8, float s9, float s10, float s11, float s12,
      float s13, float s14, float s15) {
    int t = len - j;
    int k = wOff + j;
    if (t > 0) {
      s0 = Math.fma(w[k], act(x[j], relu), s0);
      if (t > 1) {
        s1 = Math.fma(w[k + 1], act(x[j + 1], relu), s1);
      }
      if (t > 2) {
        s2 = Math.fma(w[k + 2], act(x[j + 2], relu), s2);
      }
      if (t > 3) {
        s3 = Math.fma(w[k + 3], act(x[j + 3], relu), s3);
      }
      if (t > 4) {
        s4 = Math.fma(w[k + 4], act(x[j + 4], relu), s4);
      }
      if (t > 5) {
        s5 = Math.fma(w[k + 5], act(x[j + 5], relu), s5);
      }
      if (t > 6) {
        s6 = Math.fma(w[k + 6], act(x[j + 6], relu), s6);
      }
      if (t > 7) {
        s7 = Math.fma(w[k + 7], act(x[j + 7], relu), s7);
      }
      if (t > 8) {
        s8 = Math.fma(w[k + 8], act(x[j + 8], relu), s8);
      }
      if (t > 9) {
        s9 = Math.fma(w[k + 9], act(x[j + 9], relu), s9);
      }
      if (t > 10) {
        s10 = Math.fma(w[k + 10], act(x[j + 10], relu), s10);
      }
      if (t > 11) {
        s11 = Math.fma(w[k + 11], act(x[j + 11], relu), s11);
      }
      if (t > 12) {
        s12 = Math.fma(w[k + 12], act(x[j + 12], relu), s12);
      }
      if (t > 13) {
        s13 = Math.fma(w[k + 13], act(x[j + 13], relu), s13);
      }
      if (t > 14) {
        s14 = Math.fma(w[k + 14], act(x[j + 14], relu), s14);
      }
    }
    float u0 = s0 + s8;
    float u1 = s1 + s9;
    float u2 = s2 + s10;
    float u3 = s3 + s11;
    float u4 = s4 + s12;
    float u5 = s5 + s13;
    float u6 = s6 + s14;
    float u7 = s7 + s15;
    float v0 = u0 + u4;
    float v1 = u1 + u5;
    float v2 = u2 + u6;
    float v3 = u3 + u7;
    return (v0 + v2) + (v1 + v3);
  }

  private static float act(float v, boolean relu) {
    return relu ? Math.max(v, 0f) : v;
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
