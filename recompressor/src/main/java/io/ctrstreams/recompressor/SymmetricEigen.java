package io.ctrstreams.recompressor;

/**
 * Eigendecomposition of a symmetric matrix: {@code A = V diag(values) V^T}.
 *
 * @param n the matrix order
 * @param values eigenvalues in DESCENDING order
 * @param vectors {@code n x n} row-major; column {@code j} is the unit eigenvector of
 *     {@code values[j]}
 */
public record SymmetricEigen(int n, double[] values, double[] vectors) {

  /** Validates the sizes. */
  public SymmetricEigen {
    if (values.length != n || vectors.length != (long) n * n) {
      throw new RecompressorException(
          "eigendecomposition of order " + n + " needs " + n + " values and " + n * n
              + " vector entries, found " + values.length + " and " + vectors.length);
    }
  }

  /** Sum of all eigenvalues, i.e. the trace. */
  public double trace() {
    double s = 0;
    for (double v : values) {
      s += v;
    }
    return s;
  }

  /**
   * Share of the trace held by the top {@code k} eigenvalues; negative eigenvalues (rounding
   * noise of a PSD matrix) count as zero. Returns 1 for a zero matrix.
   */
  public double retainedEnergy(int k) {
    double total = 0;
    double kept = 0;
    for (int i = 0; i < n; i++) {
      double v = Math.max(values[i], 0);
      total += v;
      if (i < k) {
        kept += v;
      }
    }
    return total == 0 ? 1.0 : kept / total;
  }

  /** The top-{@code k} eigenvectors as an {@code n x k} row-major matrix. */
  public double[] topVectors(int k) {
    double[] u = new double[n * k];
    for (int i = 0; i < n; i++) {
      System.arraycopy(vectors, i * n, u, i * k, k);
    }
    return u;
  }
}
