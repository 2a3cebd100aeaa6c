package io.ctrstreams.recompressor;

/**
 * An orthonormal basis of a layer's output space, ordered by energy, and the anchor point the
 * dropped directions are pinned to. Keeping the top {@code k} directions turns {@code y = W x + b}
 * into {@code y_hat = U_k U_k^T y + (I - U_k U_k^T) anchor}, i.e. the {@link LinearFactors}
 * {@code first = U_k^T W}, {@code firstBias = U_k^T b}, {@code second = U_k},
 * {@code secondBias = (I - U_k U_k^T) anchor}.
 *
 * <ul>
 *   <li>AFM ({@link Afm}): U = eigenvectors of the output covariance, energies = its eigenvalues,
 *       anchor = output mean mu (KDD 2024, eq. for the layer pair).
 *   <li>Weight SVD ({@link WeightSvd}): U = left singular vectors of W, energies = squared singular
 *       values, anchor = b; then {@code U_k^T W = S_k V_k^T}, so {@code first} carries S.
 * </ul>
 *
 * @param method "afm" or "svd", for reports
 * @param out output width
 * @param basis {@code out x p} row-major, orthonormal columns
 * @param energies {@code p} non-increasing energies of the columns
 * @param anchor {@code out}
 */
public record ProjectionBasis(String method, int out, double[] basis, double[] energies, double[] anchor) {

  /** Validates sizes. */
  public ProjectionBasis {
    int p = energies.length;
    if (p < 1 || basis.length != (long) out * p || anchor.length != out) {
      throw new RecompressorException(
          "projection basis of width " + out + " with " + p + " directions has sizes "
              + basis.length + "/" + anchor.length);
    }
  }

  /** Number of directions available. */
  public int maxRank() {
    return energies.length;
  }

  /** Share of the total energy kept by the top {@code k} directions (1 for zero energy). */
  public double retainedEnergy(int k) {
    double total = 0;
    double kept = 0;
    for (int i = 0; i < energies.length; i++) {
      double e = Math.max(energies[i], 0);
      total += e;
      if (i < k) {
        kept += e;
      }
    }
    // Directions beyond p (when out > p) carry no energy.
    return total == 0 ? 1.0 : kept / total;
  }

  /** Builds the rank-{@code k} factors of the layer {@code y = W x + b}. */
  public LinearFactors factors(int k, float[] w, float[] b, int in) {
    if (k < 1 || k > maxRank()) {
      throw new RecompressorException(
          "rank for a " + method + " basis of width " + out + " must be in [1, " + maxRank()
              + "], found " + k);
    }
    if (w.length != (long) out * in || (b != null && b.length != out)) {
      throw new RecompressorException(
          "layer " + out + " x " + in + " needs " + (long) out * in + " weights and " + out
              + " biases, found " + w.length + " and " + (b == null ? 0 : b.length));
    }
    int p = maxRank();
    double[] first = new double[k * in];
    double[] firstBias = new double[k];
    for (int i = 0; i < out; i++) {
      int wRow = i * in;
      int uRow = i * p;
      double bi = b == null ? 0 : b[i];
      for (int r = 0; r < k; r++) {
        double u = basis[uRow + r];
        if (u == 0) {
          continue;
        }
        firstBias[r] += u * bi;
        int fRow = r * in;
        for (int j = 0; j < in; j++) {
          first[fRow + j] += u * w[wRow + j];
        }
      }
    }
    // secondBias = anchor - U_k (U_k^T anchor)
    double[] proj = new double[k];
    for (int i = 0; i < out; i++) {
      for (int r = 0; r < k; r++) {
        proj[r] += basis[i * p + r] * anchor[i];
      }
    }
    float[] second = new float[out * k];
    float[] secondBias = new float[out];
    for (int i = 0; i < out; i++) {
      double s = anchor[i];
      for (int r = 0; r < k; r++) {
        double u = basis[i * p + r];
        second[i * k + r] = (float) u;
        s -= u * proj[r];
      }
      secondBias[i] = (float) s;
    }
    return new LinearFactors(out, in, k, toFloat(first), toFloat(firstBias), second, secondBias);
  }

  static float[] toFloat(double[] a) {
    float[] f = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      f[i] = (float) a[i];
    }
    return f;
  }
}
