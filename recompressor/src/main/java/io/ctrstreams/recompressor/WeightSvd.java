package io.ctrstreams.recompressor;

/**
 * Truncated weight SVD, the data-free baseline: {@code W ~ U_k S_k V_k^T} for a linear layer
 * {@code y = W x + b} (W: out x in), giving {@code y ~ U_k (S_k V_k^T x + U_k^T b) + (I - U_k
 * U_k^T) b}. S is folded into the first factor so the second factor is orthonormal, the same shape
 * of pair AFM produces (see {@link ProjectionBasis}); the bias is carried exactly.
 */
public final class WeightSvd {
  private WeightSvd() {}

  /** The output-space basis of {@code W}: left singular vectors, energies {@code s_i^2}. */
  public static ProjectionBasis basis(float[] w, float[] b, int out, int in, Linalg linalg) {
    if (w.length != (long) out * in) {
      throw new RecompressorException(
          "weight of a " + out + " x " + in + " layer needs " + (long) out * in + " values, found "
              + w.length);
    }
    double[] a = new double[w.length];
    for (int i = 0; i < w.length; i++) {
      a[i] = w[i];
    }
    Svd svd = linalg.svd(a, out, in);
    double[] energies = new double[svd.p()];
    for (int i = 0; i < energies.length; i++) {
      energies[i] = svd.values()[i] * svd.values()[i];
    }
    double[] anchor = new double[out];
    if (b != null) {
      for (int i = 0; i < out; i++) {
        anchor[i] = b[i];
      }
    }
    return new ProjectionBasis("svd", out, svd.u(), energies, anchor);
  }

  /** Rank-{@code k} factors of {@code y = W x + b} by truncated SVD. */
  public static LinearFactors factorize(float[] w, float[] b, int out, int in, int rank, Linalg linalg) {
    return basis(w, b, out, in, linalg).factors(rank, w, b, in);
  }
}
