package io.ctrstreams.model.internal;

/**
 * Batched float kernels written so that C2's superword pass vectorizes their inner loops (Java
 * 17, no Vector API): the innermost loop always runs over a contiguous output row, and weights
 * are stored transposed ([in, out]) so a weight row is contiguous too.
 *
 * <p>{@link #gemm} is the workhorse: {@code Y[c, :] += X[c, :] Wt} for a block of candidates. It
 * tiles the output ({@link #OUT_TILE} floats) and walks the input four rows at a time, so per
 * vector of output it does four fused multiply-adds for one load and one store of {@code Y}, and
 * the four weight rows of a tile stay in L1 while every candidate of the block passes over them:
 * each weight is read from memory once per block instead of once per candidate.
 */
public final class Kernels {
  /** Output tile width: a block of 32 candidates x 128 floats of Y is 16 KB, well inside L1. */
  public static final int OUT_TILE = 128;

  private Kernels() {}

  /**
   * {@code y[yOff + c*ys + j] += sum_i x[xOff + c*xs + i] * wt[wOff + i*out + j]} for {@code c <
   * n}, {@code i < in}, {@code j < out}.
   */
  public static void gemm(float[] x, int xOff, int xs, int n, int in, float[] wt, int wOff, int out, float[] y,
      int yOff, int ys) {
    for (int o0 = 0; o0 < out; o0 += OUT_TILE) {
      int o1 = Math.min(out, o0 + OUT_TILE);
      int i = 0;
      for (; i + 4 <= in; i += 4) {
        int w0 = wOff + i * out;
        int w1 = w0 + out;
        int w2 = w1 + out;
        int w3 = w2 + out;
        for (int c = 0; c < n; c++) {
          int xr = xOff + c * xs + i;
          float a0 = x[xr];
          float a1 = x[xr + 1];
          float a2 = x[xr + 2];
          float a3 = x[xr + 3];
          int yr = yOff + c * ys;
          for (int j = o0; j < o1; j++) {
            y[yr + j] = Math.fma(a3, wt[w3 + j], Math.fma(a2, wt[w2 + j],
                Math.fma(a1, wt[w1 + j], Math.fma(a0, wt[w0 + j], y[yr + j]))));
          }
        }
      }
      for (; i < in; i++) {
        int w0 = wOff + i * out;
        for (int c = 0; c < n; c++) {
          float a0 = x[xOff + c * xs + i];
          int yr = yOff + c * ys;
          for (int j = o0; j < o1; j++) {
            y[yr + j] = Math.fma(a0, wt[w0 + j], y[yr + j]);
          }
        }
      }
    }
  }

  /** Sets each of {@code n} rows {@code y[yOff + c*ys .. + len)} to {@code b[bOff .. + len)}. */
  public static void broadcastRows(float[] b, int bOff, int len, int n, float[] y, int yOff, int ys) {
    for (int c = 0; c < n; c++) {
      System.arraycopy(b, bOff, y, yOff + c * ys, len);
    }
  }

  /** In-place ReLU over {@code n} rows of {@code len} floats. */
  public static void relu(float[] y, int yOff, int ys, int n, int len) {
    for (int c = 0; c < n; c++) {
      int r = yOff + c * ys;
      for (int j = 0; j < len; j++) {
        y[r + j] = Math.max(y[r + j], 0f);
      }
    }
  }

  /** A transposed copy: {@code [rows, cols] -> [cols, rows]}. */
  public static float[] transpose(float[] w, int rows, int cols) {
    float[] t = new float[w.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = w[r * cols + c];
      }
    }
    return t;
  }
}
