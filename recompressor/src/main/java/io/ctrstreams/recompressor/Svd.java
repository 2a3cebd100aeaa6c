package io.ctrstreams.recompressor;

/**
 * Thin singular value decomposition {@code A = U diag(s) V^T} of an {@code m x n} matrix with
 * {@code p = min(m, n)}.
 *
 * @param m rows of A
 * @param n columns of A
 * @param values singular values in DESCENDING order, length {@code p}
 * @param u {@code m x p} row-major, orthonormal columns
 * @param vt {@code p x n} row-major, orthonormal rows
 */
public record Svd(int m, int n, double[] values, double[] u, double[] vt) {

  /** Validates the sizes. */
  public Svd {
    int p = Math.min(m, n);
    if (values.length != p || u.length != (long) m * p || vt.length != (long) p * n) {
      throw new RecompressorException(
          "thin SVD of a " + m + " x " + n + " matrix needs " + p + " values, found "
              + values.length + " (u " + u.length + ", vt " + vt.length + ")");
    }
  }

  /** {@code min(m, n)}. */
  public int p() {
    return values.length;
  }
}
