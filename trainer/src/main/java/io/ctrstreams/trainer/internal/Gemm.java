package io.ctrstreams.trainer.internal;

/**
 * Batch matrix kernels for training, on row-major {@code float[]} with plain loops that C2
 * auto-vectorizes: every inner loop runs over a contiguous output row ("axpy form"), never a
 * reduction, because C2 does not vectorize ordered float sums.
 *
 * <p>{@link #mulAdd} is register-blocked 4 x 4 (four rows of the left operand share each loaded row
 * of the right operand, four right rows are summed before one load/store of the output), which
 * is what makes it compute-bound instead of load/store-bound. {@link #reference} variants are the
 * obviously-correct scalar loops every kernel is tested against.
 */
public final class Gemm {
  private Gemm() {}

  /** y[n, m] += x[n, k] * b[k, m]. */
  public static void mulAdd(float[] x, int n, int k, float[] b, int m, float[] y) {
    int r = 0;
    for (; r + 4 <= n; r += 4) {
      int x0 = r * k;
      int x1 = x0 + k;
      int x2 = x1 + k;
      int x3 = x2 + k;
      int y0 = r * m;
      int y1 = y0 + m;
      int y2 = y1 + m;
      int y3 = y2 + m;
      int i = 0;
      for (; i + 4 <= k; i += 4) {
        int b0 = i * m;
        int b1 = b0 + m;
        int b2 = b1 + m;
        int b3 = b2 + m;
        float a00 = x[x0 + i], a01 = x[x0 + i + 1], a02 = x[x0 + i + 2], a03 = x[x0 + i + 3];
        float a10 = x[x1 + i], a11 = x[x1 + i + 1], a12 = x[x1 + i + 2], a13 = x[x1 + i + 3];
        float a20 = x[x2 + i], a21 = x[x2 + i + 1], a22 = x[x2 + i + 2], a23 = x[x2 + i + 3];
        float a30 = x[x3 + i], a31 = x[x3 + i + 1], a32 = x[x3 + i + 2], a33 = x[x3 + i + 3];
        for (int j = 0; j < m; j++) {
          float v0 = b[b0 + j];
          float v1 = b[b1 + j];
          float v2 = b[b2 + j];
          float v3 = b[b3 + j];
          y[y0 + j] += a00 * v0 + a01 * v1 + a02 * v2 + a03 * v3;
          y[y1 + j] += a10 * v0 + a11 * v1 + a12 * v2 + a13 * v3;
          y[y2 + j] += a20 * v0 + a21 * v1 + a22 * v2 + a23 * v3;
          y[y3 + j] += a30 * v0 + a31 * v1 + a32 * v2 + a33 * v3;
        }
      }
      for (; i < k; i++) {
        int b0 = i * m;
        float a0 = x[x0 + i];
        float a1 = x[x1 + i];
        float a2 = x[x2 + i];
        float a3 = x[x3 + i];
        for (int j = 0; j < m; j++) {
          float v = b[b0 + j];
          y[y0 + j] += a0 * v;
          y[y1 + j] += a1 * v;
          y[y2 + j] += a2 * v;
          y[y3 + j] += a3 * v;
        }
      }
    }
    for (; r < n; r++) {
      int x0 = r * k;
      int y0 = r * m;
      int i = 0;
      for (; i + 4 <= k; i += 4) {
        int b0 = i * m;
        int b1 = b0 + m;
        int b2 = b1 + m;
        int b3 = b2 + m;
        float a0 = x[x0 + i], a1 = x[x0 + i + 1], a2 = x[x0 + i + 2], a3 = x[x0 + i + 3];
        for (int j = 0; j < m; j++) {
          y[y0 + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
        }
      }
      for (; i < k; i++) {
        int b0 = i * m;
        float a0 = x[x0 + i];
        for (int j = 0; j < m; j++) {
          y[y0 + j] += a0 * b[b0 + j];
        }
      }
    }
  }

  /** y[m, k] += a[n, m]^T * x[n, k] (weight gradients: dW += dY^T X). */
  public static void mulAddTransA(float[] a, int n, int m, float[] x, int k, float[] y) {
    int r = 0;
    for (; r + 4 <= n; r += 4) {
      int a0 = r * m;
      int a1 = a0 + m;
      int a2 = a1 + m;
      int a3 = a2 + m;
      int x0 = r * k;
      int x1 = x0 + k;
      int x2 = x1 + k;
      int x3 = x2 + k;
      for (int o = 0; o < m; o++) {
        float c0 = a[a0 + o];
        float c1 = a[a1 + o];
        float c2 = a[a2 + o];
        float c3 = a[a3 + o];
        if (c0 == 0f && c1 == 0f && c2 == 0f && c3 == 0f) {
          continue; // ReLU-masked gradients are often zero: skip the row update
        }
        int yo = o * k;
        for (int j = 0; j < k; j++) {
          y[yo + j] += c0 * x[x0 + j] + c1 * x[x1 + j] + c2 * x[x2 + j] + c3 * x[x3 + j];
        }
      }
    }
    for (; r < n; r++) {
      int a0 = r * m;
      int x0 = r * k;
      for (int o = 0; o < m; o++) {
        float c0 = a[a0 + o];
        if (c0 == 0f) {
          continue;
        }
        int yo = o * k;
        for (int j = 0; j < k; j++) {
          y[yo + j] += c0 * x[x0 + j];
        }
      }
    }
  }

  /** out[c, r] = in[r, c]. */
  public static void transpose(float[] in, int rows, int cols, float[] out) {
    for (int r = 0; r < rows; r++) {
      int ro = r * cols;
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = in[ro + c];
      }
    }
  }

  /** Scalar reference of {@link #mulAdd}. */
  public static void referenceMulAdd(float[] x, int n, int k, float[] b, int m, float[] y) {
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int i = 0; i < k; i++) {
          s += (double) x[r * k + i] * b[i * m + j];
        }
        y[r * m + j] += (float) s;
      }
    }
  }

  /** Scalar reference of {@link #mulAddTransA}. */
  public static void referenceMulAddTransA(float[] a, int n, int m, float[] x, int k, float[] y) {
    for (int o = 0; o < m; o++) {
      for (int j = 0; j < k; j++) {
        double s = 0;
        for (int r = 0; r < n; r++) {
          s += (double) a[r * m + o] * x[r * k + j];
        }
        y[o * k + j] += (float) s;
      }
    }
  }
}
