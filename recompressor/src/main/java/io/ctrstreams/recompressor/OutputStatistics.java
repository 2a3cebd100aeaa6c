package io.ctrstreams.recompressor;

/**
 * Streaming mean and covariance of a layer's output vectors, in double precision: the statistics
 * AFM needs ({@code mu = E[y]}, {@code C = E[y y^T] - mu mu^T}; Unified Low-rank Compression
 * Framework, KDD 2024, section 3).
 *
 * <p>Rows are buffered into blocks and accumulated as {@code sum y} and {@code Y^T Y} with one
 * Gram (GEMM) call per block. Every row is first shifted by a fixed reference (the first row
 * seen) so that {@code E[y y^T] - mu mu^T} does not cancel catastrophically when the mean is large
 * next to the spread; the covariance is shift invariant. Rows may carry weights (embedding PCA
 * weighs each id by its frequency). Not thread-safe.
 */
public final class OutputStatistics {
  /** Rows per Gram call: large enough that the native call overhead disappears, small enough for cache. */
  private static final int BLOCK_ROWS = 2048;

  private final int dim;
  private final Linalg linalg;
  private final double[] shift;
  private final double[] sum;
  private final double[] gram;
  private final double[] block;
  private int blockRows;
  private boolean shifted;
  private double weight;
  private long rows;

  /** Statistics of {@code dim}-dimensional outputs, using {@code linalg} for the Gram blocks. */
  public OutputStatistics(int dim, Linalg linalg) {
    if (dim < 1) {
      throw new RecompressorException("output dimension must be >= 1, found " + dim);
    }
    this.dim = dim;
    this.linalg = linalg;
    this.shift = new double[dim];
    this.sum = new double[dim];
    this.gram = new double[dim * dim];
    this.block = new double[BLOCK_ROWS * dim];
  }

  public int dim() {
    return dim;
  }

  /** Number of rows added. */
  public long rows() {
    return rows;
  }

  /** Total weight of the rows added (equals {@link #rows()} for unweighted rows). */
  public double weight() {
    return weight;
  }

  /** Adds {@code n} rows stored contiguously in {@code y} from {@code offset}, weight 1 each. */
  public void add(float[] y, int offset, int n) {
    if (offset < 0 || n < 0 || offset + (long) n * dim > y.length) {
      throw new RecompressorException(
          n + " rows of width " + dim + " from offset " + offset + " do not fit in an array of "
              + y.length);
    }
    initShift(y, offset);
    for (int r = 0; r < n; r++) {
      int src = offset + r * dim;
      int dst = blockRows * dim;
      for (int j = 0; j < dim; j++) {
        double v = y[src + j] - shift[j];
        block[dst + j] = v;
        sum[j] += v;
      }
      if (++blockRows == BLOCK_ROWS) {
        flush();
      }
    }
    rows += n;
    weight += n;
  }

  /** Adds one row with weight {@code w} (e.g. how often an embedding id occurred). */
  public void addWeighted(float[] y, int offset, double w) {
    if (!(w >= 0) || Double.isInfinite(w)) {
      throw new RecompressorException("row weight must be finite and >= 0, found " + w);
    }
    if (w == 0) {
      return;
    }
    initShift(y, offset);
    // Scale by sqrt(w) so that the Gram of the scaled row is w y y^T.
    double sw = Math.sqrt(w);
    int dst = blockRows * dim;
    for (int j = 0; j < dim; j++) {
      block[dst + j] = (y[offset + j] - shift[j]) * sw;
    }
    for (int j = 0; j < dim; j++) {
      sum[j] += w * (y[offset + j] - shift[j]);
    }
    weight += w;
    rows++;
    if (++blockRows == BLOCK_ROWS) {
      flush();
    }
  }

  private void initShift(float[] y, int offset) {
    if (!shifted) {
      for (int j = 0; j < dim; j++) {
        shift[j] = y[offset + j];
      }
      shifted = true;
    }
  }

  private void flush() {
    if (blockRows == 0) {
      return;
    }
    linalg.addGram(block, blockRows, dim, gram);
    blockRows = 0;
  }

  /** The mean {@code mu}. */
  public double[] mean() {
    flush();
    requireRows();
    double[] mu = new double[dim];
    for (int j = 0; j < dim; j++) {
      mu[j] = shift[j] + sum[j] / weight;
    }
    return mu;
  }

  /** The covariance {@code C = E[y y^T] - mu mu^T}, {@code dim x dim} row-major. */
  public double[] covariance() {
    flush();
    requireRows();
    double[] c = new double[dim * dim];
    for (int i = 0; i < dim; i++) {
      double mi = sum[i] / weight;
      for (int j = 0; j < dim; j++) {
        c[i * dim + j] = gram[i * dim + j] / weight - mi * (sum[j] / weight);
      }
    }
    return c;
  }

  /** Eigendecomposition of the covariance (descending). */
  public SymmetricEigen eigen() {
    return linalg.symmetricEigen(covariance(), dim);
  }

  private void requireRows() {
    if (weight <= 0) {
      throw new RecompressorException("no calibration rows were added to statistics of width " + dim);
    }
  }
}
