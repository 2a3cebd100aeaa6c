package io.ctrstreams.model.internal;

/**
 * The one matrix-multiply interface of ctr-streams: the scorer's block products on arrays of
 * rows ({@link #gemm}, {@link #affine}) and the row-major batch products of a training step and a
 * calibration pass ({@link #mulAdd}, {@link #mulAddTransB}, {@link #mulAddTransA}).
 *
 * <p>The block product is {@code y[c][j] += sum_i x[c][xCol + i] * wt[wRow + i][j]} for {@code c
 * < n}, {@code i < in}, {@code j < out}, weights transposed ([in][out]) so a weight row is
 * contiguous.
 *
 * <p>Providers: {@link Kernels} (plain Java that C2 auto-vectorizes, always available), a Vector
 * API one in the {@code ctr-simd} module, found with {@link java.util.ServiceLoader} when the JVM
 * runs with {@code --add-modules jdk.incubator.vector} (the approach of Lucene's {@code
 * VectorizationProvider}), and ND4J in {@code ctr-trainer}, which overrides the row-major products
 * only (the trainer and the recompressor put it on their class path; BENCHMARKS.md sections 2 and
 * 3). {@link MatMuls#get()} picks the scorer's provider per JVM. The Java and Vector API providers
 * accumulate each output element over {@code i} in increasing order with one fused multiply-add
 * per term, so they return bitwise identical results.
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

  /**
   * The weight rows {@code [wRow, wRow + in)} x columns {@code [0, out)} of {@code wt} in the
   * layout this kernel's {@link #affinePacked} reads, made once at model load; null (the default)
   * when the kernel reads the rows as they are. The rows stay the source of truth: a packed copy
   * is only ever passed back together with them.
   */
  default float[] pack(float[][] wt, int wRow, int in, int out) {
    return null;
  }

  /**
   * {@link #affine} over weights also given as {@code packed}, the result of {@link #pack}{@code
   * (wt, wRow, in, out)} for these very arguments (or null: then this is {@link #affine}). Same
   * results, bit for bit.
   */
  default void affinePacked(float[][] x, int xCol, int n, int in, float[][] wt, int wRow, float[] packed, int out,
      float[] bias, boolean relu, boolean narrow, float[][] y) {
    affine(x, xCol, n, in, wt, wRow, out, bias, relu, narrow, y);
  }

  /**
   * {@code y[yOff + j] = bias[j] + sum_i x[xOff + i] * w[i * out + j]} for {@code j < out}, {@code
   * w} row-major [in][out]: a low-rank embedding's projection of its code (the scorer calls it per
   * field and candidate). Each element accumulates from the bias over {@code i} in increasing
   * order with one fused multiply-add per term, in every implementation ({@link Kernels#rowAffine}).
   */
  default void rowAffine(float[] x, int xOff, int in, float[] w, float[] bias, int out, float[] y, int yOff) {
    Kernels.rowAffine(x, xOff, in, w, bias, out, y, yOff);
  }

  /**
   * {@code acc + sum_j w[wOff + j] * act(x[j])} for {@code j < len}, act = ReLU ({@code
   * Math.max(v, 0f)}) when {@code relu}, else identity: the output unit, with the last hidden
   * layer's ReLU fused in. The order is fixed so every implementation returns the same bits:
   * sixteen partial sums {@code s_l} (from +0), term {@code j} added to {@code s_(j % 16)} with one
   * fused multiply-add in increasing {@code j}, then {@code u_l = s_l + s_(l+8)}, {@code v_l = u_l
   * + u_(l+4)}, {@code (v_0 + v_2) + (v_1 + v_3)}, then {@code acc +} that ({@link Kernels#dot16}:
   * one 512-bit or two 256-bit vector accumulators).
   */
  default float dot16(float[] w, int wOff, float[] x, int len, float acc, boolean relu) {
    return Kernels.dot16(w, wOff, x, len, acc, relu);
  }

  /**
   * {@code y[n, m] += x[n, k] b[k, m]}, all row-major. The default copies the operands into
   * arrays of rows for {@link #gemm} (flat arrays leave C2's loops scalar, see {@link Kernels});
   * the copies cost O(nk + km + nm) against the product's O(nkm).
   */
  default void mulAdd(float[] x, int n, int k, float[] b, int m, float[] y) {
    addRows(Kernels.rows(x, n, k), n, k, Kernels.rows(b, k, m), m, y);
  }

  /** {@code y[n, m] += x[n, k] w[m, k]^T} (forward through a weight stored [out, in]). */
  default void mulAddTransB(float[] x, int n, int k, float[] w, int m, float[] y) {
    addRows(Kernels.rows(x, n, k), n, k, Kernels.transposeRows(w, m, k), m, y);
  }

  /** {@code y[m, k] += a[n, m]^T x[n, k]} (weight gradient {@code dW += dY^T X}). */
  default void mulAddTransA(float[] a, int n, int m, float[] x, int k, float[] y) {
    addRows(Kernels.transposeRows(a, n, m), m, n, Kernels.rows(x, n, k), k, y);
  }

  private void addRows(float[][] x, int n, int k, float[][] b, int m, float[] y) {
    float[][] yr = Kernels.rows(y, n, m);
    gemm(x, 0, n, k, b, 0, m, yr);
    for (int r = 0; r < n; r++) {
      System.arraycopy(yr[r], 0, y, r * m, m);
    }
  }

  /** A short description for logs and benchmark reports, e.g. {@code "vector-api 512-bit"}. */
  String describe();
}
