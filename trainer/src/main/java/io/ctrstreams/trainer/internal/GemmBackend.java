package io.ctrstreams.trainer.internal;

/**
 * The three batch matrix products of a dense layer's forward and backward pass, on row-major
 * {@code float[]}. Instances are not thread-safe: each training replica owns one.
 */
public interface GemmBackend {
  /** y[n, m] += x[n, k] * b[k, m]. */
  void mulAdd(float[] x, int n, int k, float[] b, int m, float[] y);

  /** y[n, m] += x[n, k] * w[m, k]^T (forward through a weight stored [out, in]). */
  void mulAddTransB(float[] x, int n, int k, float[] w, int m, float[] y);

  /** y[m, k] += a[n, m]^T * x[n, k] (weight gradient dW += dY^T X). */
  void mulAddTransA(float[] a, int n, int m, float[] x, int k, float[] y);

  /** Plain-Java blocked loops ({@link Gemm}). */
  static GemmBackend java() {
    return new GemmBackend() {
      private float[] t = new float[0];

      @Override
      public void mulAdd(float[] x, int n, int k, float[] b, int m, float[] y) {
        Gemm.mulAdd(x, n, k, b, m, y);
      }

      @Override
      public void mulAddTransB(float[] x, int n, int k, float[] w, int m, float[] y) {
        // One transpose per call costs k*m, 1/n of the product itself.
        if (t.length < k * m) {
          t = new float[k * m];
        }
        Gemm.transpose(w, m, k, t);
        Gemm.mulAdd(x, n, k, t, m, y);
      }

      @Override
      public void mulAddTransA(float[] a, int n, int m, float[] x, int k, float[] y) {
        Gemm.mulAddTransA(a, n, m, x, k, y);
      }
    };
  }
}
