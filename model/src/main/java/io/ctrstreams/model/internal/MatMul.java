package io.ctrstreams.model.internal;

/**
 * The block matrix product every optimized scorer layer runs:
 * {@code y[c][j] += sum_i x[c][xCol + i] * wt[wRow + i][j]} for {@code c < n}, {@code i < in},
 * {@code j < out}, weights transposed ([in][out]) so a weight row is contiguous.
 *
 * <p>Two implementations: {@link Kernels} (plain Java that C2 auto-vectorizes, always available)
 * and a Vector API one in the {@code ctr-simd} module, found with {@link java.util.ServiceLoader}
 * when the JVM runs with {@code --add-modules jdk.incubator.vector} (the approach of Lucene's
 * {@code VectorizationProvider}). {@link MatMuls#get()} picks one per JVM. Both accumulate each
 * output element over {@code i} in increasing order with one fused multiply-add per term, so
 * they return bitwise identical results.
 */
public interface MatMul {
  /** {@code y[c][j] += sum_i x[c][xCol + i] * wt[wRow + i][j]}. */
  void gemm(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[][] y);

  /**
   * The same product for the narrow outputs (the rank) of a low-rank layer's first factor; an
   * implementation may keep a separate copy tuned for narrow rows.
   */
  default void gemmNarrow(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[][] y) {
    gemm(x, xCol, n, in, wt, wRow, out, y);
  }

  /**
   * One affine layer over a block: {@code y[c][j] = act(bias[j] + sum_i x[c][xCol + i] *
   * wt[wRow + i][j])} for {@code j < out}, act = ReLU ({@code Math.max(v, 0f)}) when {@code
   * relu}, else identity; {@code narrow} marks a low-rank layer's first factor. The default is
   * {@link Kernels#broadcastRows}, then {@link #gemm} (or {@link #gemmNarrow}), then {@link
   * Kernels#relu}; an implementation may fuse the three passes.
   */
  default void affine(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, int out, float[] bias,
      boolean relu, boolean narrow, float[][] y) {
    Kernels.broadcastRows(bias, out, n, y);
    if (narrow) {
      gemmNarrow(x, xCol, n, in, wt, wRow, out, y);
    } else {
      gemm(x, xCol, n, in, wt, wRow, out, y);
    }
    if (relu) {
      Kernels.relu(y, n, out);
    }
  }

  /** A short description for logs and benchmark reports, e.g. {@code "vector-api 512-bit"}. */
  String describe();
}
