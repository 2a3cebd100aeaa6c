package io.ctrstreams.recompressor;

/**
 * Low-rank embedding tables (KDD 2024, section 3, embeddings): per field, PCA of the embeddings as
 * looked up on real traffic, each id weighted by how often it occurs, so frequent ids are
 * reconstructed best. Stored table {@code (E - mu) U_k} (V x k), up-projection {@code U_k} and bias
 * {@code mu}. In a DNN the up-projections fold into the first MLP layer
 * ({@link #foldIntoFirstLayer}); when an interaction (FM, cross) sits between the embeddings and
 * the first layer the full-width embedding is rebuilt per field instead.
 */
public final class EmbeddingCompression {
  private EmbeddingCompression() {}

  /** The frequency-weighted statistics of a table: each row {@code i} with weight {@code idWeights[i]}. */
  public static OutputStatistics statistics(float[] table, int vocab, int dim, double[] idWeights, Linalg linalg) {
    checkTable(table, vocab, dim);
    if (idWeights.length != vocab) {
      throw new RecompressorException(
          "id weights for a table of " + vocab + " rows must have length " + vocab + ", found " + idWeights.length);
    }
    OutputStatistics stats = new OutputStatistics(dim, linalg);
    double total = 0;
    for (double w : idWeights) {
      total += w;
    }
    for (int i = 0; i < vocab; i++) {
      // No traffic at all: fall back to plain (unweighted) PCA of the table.
      double w = total > 0 ? idWeights[i] : 1.0;
      if (w > 0) {
        stats.addWeighted(table, i * dim, w);
      }
    }
    return stats;
  }

  /**
   * The AFM basis of a table: eigenvectors of the frequency-weighted covariance of its rows,
   * anchor = the weighted mean.
   */
  public static ProjectionBasis afmBasis(float[] table, int vocab, int dim, double[] idWeights, Linalg linalg) {
    OutputStatistics stats = statistics(table, vocab, dim, idWeights, linalg);
    SymmetricEigen e = stats.eigen();
    return new ProjectionBasis("afm", dim, e.vectors(), e.values(), stats.mean());
  }

  /** The SVD basis of a table: right singular vectors of E ({@code E ~ (U S)_k V_k^T}), anchor 0. */
  public static ProjectionBasis svdBasis(float[] table, int vocab, int dim, Linalg linalg) {
    checkTable(table, vocab, dim);
    // Gram route in place of Linalg.svd: avoids materializing U for a million-row table.
    double[] g = new double[dim * dim];
    int blockRows = Math.min(vocab, 4096);
    double[] block = new double[blockRows * dim];
    for (int start = 0; start < vocab; start += blockRows) {
      int rows = Math.min(blockRows, vocab - start);
      for (int i = 0; i < rows * dim; i++) {
        block[i] = table[start * dim + i];
      }
      linalg.addGram(block, rows, dim, g);
    }
    SymmetricEigen e = linalg.symmetricEigen(g, dim);
    return new ProjectionBasis("svd", dim, e.vectors(), e.values(), new double[dim]);
  }

  /**
   * Rank-{@code k} factors of a table in a basis: {@code table' = (E - anchor) U_k},
   * up-projection {@code U_k}, bias {@code anchor}; so {@code e_hat = anchor + U_k U_k^T (e -
   * anchor)}.
   */
  public static EmbeddingFactors factors(ProjectionBasis basis, int rank, float[] table, int vocab) {
    int dim = basis.out();
    checkTable(table, vocab, dim);
    checkRank(rank, Math.min(dim, basis.maxRank()));
    int p = basis.maxRank();
    double[] u = new double[dim * rank];
    for (int j = 0; j < dim; j++) {
      System.arraycopy(basis.basis(), j * p, u, j * rank, rank);
    }
    double[] anchor = basis.anchor();
    float[] small = new float[vocab * rank];
    double[] centered = new double[dim];
    for (int v = 0; v < vocab; v++) {
      for (int j = 0; j < dim; j++) {
        centered[j] = table[v * dim + j] - anchor[j];
      }
      for (int r = 0; r < rank; r++) {
        double s = 0;
        for (int j = 0; j < dim; j++) {
          s += centered[j] * u[j * rank + r];
        }
        small[v * rank + r] = (float) s;
      }
    }
    return new EmbeddingFactors(basis.method(), vocab, dim, rank, small, ProjectionBasis.toFloat(u),
        ProjectionBasis.toFloat(anchor), basis.retainedEnergy(rank));
  }

  /** AFM embedding factors at rank {@code k}. */
  public static EmbeddingFactors afm(float[] table, int vocab, int dim, double[] idWeights, int rank, Linalg linalg) {
    return factors(afmBasis(table, vocab, dim, idWeights, linalg), rank, table, vocab);
  }

  /** Truncated SVD of the table: {@code E ~ (U S)_k V_k^T}, no bias. */
  public static EmbeddingFactors svd(float[] table, int vocab, int dim, int rank, Linalg linalg) {
    checkRank(rank, Math.min(dim, vocab));
    return factors(svdBasis(table, vocab, dim, linalg), rank, table, vocab);
  }

  /**
   * The first dense layer {@code h = W1 x + b1} after folding the up-projections of compressed
   * embedding segments: {@code W1' = W1 blockdiag(up_f)}, {@code b1' = b1 + W1 concat(bias_f)}.
   *
   * @param w1 {@code h x in} row-major
   * @param b1 {@code h}
   * @param segmentOffsets for each compressed segment, the column of {@code x} where its
   *     {@code dim} values start (ascending, non-overlapping); other columns are kept as they are
   * @param segments the factors of each segment (rank k replaces dim columns)
   * @return {@code [W1' (h x in'), b1' (h)]} where {@code in' = in - sum(dim - rank)}
   */
  public static float[][] foldIntoFirstLayer(
      float[] w1, float[] b1, int h, int in, int[] segmentOffsets, EmbeddingFactors[] segments) {
    if (w1.length != (long) h * in || b1.length != h || segmentOffsets.length != segments.length) {
      throw new RecompressorException(
          "first layer " + h + " x " + in + " with " + segments.length + " segments has sizes "
              + w1.length + "/" + b1.length + "/" + segmentOffsets.length);
    }
    int newIn = in;
    for (int s = 0; s < segments.length; s++) {
      newIn -= segments[s].dim() - segments[s].rank();
      if (s > 0 && segmentOffsets[s] < segmentOffsets[s - 1] + segments[s - 1].dim()) {
        throw new RecompressorException("embedding segment " + s + " at column " + segmentOffsets[s]
            + " overlaps the previous segment");
      }
    }
    float[] w = new float[h * newIn];
    float[] b = b1.clone();
    for (int row = 0; row < h; row++) {
      int src = 0;
      int dst = 0;
      double bias = b1[row];
      for (int s = 0; s <= segments.length; s++) {
        int until = s < segments.length ? segmentOffsets[s] : in;
        while (src < until) {
          w[row * newIn + dst++] = w1[row * in + src++];
        }
        if (s == segments.length) {
          break;
        }
        EmbeddingFactors f = segments[s];
        for (int r = 0; r < f.rank(); r++) {
          double acc = 0;
          for (int j = 0; j < f.dim(); j++) {
            acc += w1[row * in + src + j] * f.up()[j * f.rank() + r];
          }
          w[row * newIn + dst + r] = (float) acc;
        }
        for (int j = 0; j < f.dim(); j++) {
          bias += w1[row * in + src + j] * (double) f.bias()[j];
        }
        src += f.dim();
        dst += f.rank();
      }
      b[row] = (float) bias;
    }
    return new float[][] {w, b};
  }

  private static void checkTable(float[] table, int vocab, int dim) {
    if (vocab < 1 || dim < 1 || table.length != (long) vocab * dim) {
      throw new RecompressorException(
          "embedding table " + vocab + " x " + dim + " needs " + (long) vocab * dim + " values, found " + table.length);
    }
  }

  private static void checkRank(int rank, int max) {
    if (rank < 1 || rank > max) {
      throw new RecompressorException("embedding rank must be in [1, " + max + "], found " + rank);
    }
  }
}
