package io.ctrstreams.recompressor;

/**
 * Atomic Feature Mimicking (Unified Low-rank Compression Framework for CTR Prediction, KDD 2024,
 * section 3): compress a layer's OUTPUT features rather than its weights. With {@code mu} and
 * {@code C} the mean and covariance of {@code y = W x + b} on calibration data and {@code U_k} the
 * top-k eigenvectors of C, the layer becomes
 * {@code layer1: U_k^T W x + U_k^T b}, {@code layer2: U_k z + (I - U_k U_k^T) mu},
 * i.e. {@code y_hat = mu + U_k U_k^T (y - mu)}. Its relative squared error on the calibration
 * data, {@code sum ||y - y_hat||^2 / sum ||y - mu||^2}, equals the dropped eigenvalue share
 * {@code 1 - retainedEnergy(k)}.
 */
public final class Afm {
  private Afm() {}

  /** The AFM basis from collected output statistics (one eigendecomposition). */
  public static ProjectionBasis basis(OutputStatistics stats) {
    SymmetricEigen e = stats.eigen();
    return new ProjectionBasis("afm", stats.dim(), e.vectors(), e.values(), stats.mean());
  }

  /** Rank-{@code k} AFM factors of {@code y = W x + b} from output statistics of that layer. */
  public static LinearFactors factorize(float[] w, float[] b, int out, int in, OutputStatistics stats, int rank) {
    if (stats.dim() != out) {
      throw new RecompressorException(
          "statistics of width " + stats.dim() + " do not match a layer with " + out + " outputs");
    }
    return basis(stats).factors(rank, w, b, in);
  }
}
