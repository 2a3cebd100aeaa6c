package io.ctrstreams.model;

import java.util.Arrays;

/**
 * A low-rank embedding (KDD 2024 low-rank paper, AFM on embeddings): table T [rows, k] holding
 * {@code (E - mu) U_k}, projection P [k, d] = {@code U_k^T}, bias {@code mu} [d]; the full
 * embedding is {@code e = T[row] P + mu}.
 *
 * <p>In the folded form (DNN only) there is no P and no mu here: they were multiplied into the
 * first MLP layer ({@code W1' = W1 blockdiag(P_f)}, {@code b1' = b1 + W1 concat(mu_f)}), which
 * reads the k-dim rows directly ({@link #lookupFactors}).
 */
public final class LowRankEmbedding implements FieldInput {
  private final Tensor tableT;
  private final Tensor projT;
  private final Tensor biasT;
  private final float[] table;
  private final float[] proj;
  private final float[] bias;
  private final int rows;
  private final int rank;
  private final int dim;

  /** The unfolded form: table [rows, k], proj [k, d], bias [d] (not copied). */
  public LowRankEmbedding(Tensor table, Tensor proj, Tensor bias) {
    checkTable(table);
    this.rows = table.dim(0);
    this.rank = table.dim(1);
    if (proj.rank() != 2 || proj.dim(0) != rank) {
      throw new CtrModelException("tensor " + proj.name() + " must have shape [" + rank + ", d], found "
          + Arrays.toString(proj.shape()));
    }
    this.dim = proj.dim(1);
    if (!bias.hasShape(dim)) {
      throw new CtrModelException("tensor " + bias.name() + " must have shape [" + dim + "], found "
          + Arrays.toString(bias.shape()));
    }
    this.tableT = table;
    this.projT = proj;
    this.biasT = bias;
    this.table = table.data();
    this.proj = proj.data();
    this.bias = bias.data();
  }

  /** The folded form: only the table [rows, k]; {@code dim} is the original embedding dim d. */
  public LowRankEmbedding(Tensor table, int dim) {
    checkTable(table);
    this.rows = table.dim(0);
    this.rank = table.dim(1);
    this.dim = dim;
    this.tableT = table;
    this.projT = null;
    this.biasT = null;
    this.table = table.data();
    this.proj = null;
    this.bias = null;
  }

  private static void checkTable(Tensor table) {
    if (table.rank() != 2) {
      throw new CtrModelException("tensor " + table.name() + " must be a matrix [rows, k], found shape "
          + Arrays.toString(table.shape()));
    }
  }

  /** Whether P and mu were folded into the first layer. */
  public boolean isFolded() {
    return proj == null;
  }

  /** The table tensor [rows, k]. */
  public Tensor table() {
    return tableT;
  }

  /** The projection tensor [k, d], {@code null} when folded. */
  public Tensor projection() {
    return projT;
  }

  /** The bias tensor [d], {@code null} when folded. */
  public Tensor bias() {
    return biasT;
  }

  public int rows() {
    return rows;
  }

  /** Rank k. */
  public int rank() {
    return rank;
  }

  /** Full embedding dim d. */
  public int dim() {
    return dim;
  }

  /** The k-dim factor row when folded (the first MLP layer holds the projection), else d. */
  @Override
  public int width() {
    return isFolded() ? rank : dim;
  }

  /** {@link #lookupFactors} when folded, else {@link #lookup}; a SCALED field's value is not used. */
  @Override
  public void write(int row, float scale, float[] out, int off) {
    if (isFolded()) {
      lookupFactors(row, out, off);
    } else {
      lookup(row, out, off);
    }
  }

  /** Writes the k-dim row {@code T[row]} to {@code out[off .. off+k)}. */
  public void lookupFactors(int row, float[] out, int off) {
    Checks.row(tableT.name(), row, rows);
    Checks.range(tableT.name(), "output", out, off, rank);
    System.arraycopy(table, row * rank, out, off, rank);
  }

  /**
   * Writes the full embedding {@code T[row] P + mu} to {@code out[off .. off+d)}.
   *
   * @throws CtrModelException when folded
   */
  public void lookup(int row, float[] out, int off) {
    if (proj == null) {
      throw new CtrModelException("folded low-rank embedding " + tableT.name() + " has no projection");
    }
    Checks.row(tableT.name(), row, rows);
    Checks.range(tableT.name(), "output", out, off, dim);
    int base = row * rank;
    System.arraycopy(bias, 0, out, off, dim);
    for (int r = 0; r < rank; r++) {
      float t = table[base + r];
      int prow = r * dim;
      for (int j = 0; j < dim; j++) {
        out[off + j] += t * proj[prow + j];
      }
    }
  }

  public long parameterCount() {
    return (long) rows * rank + (proj == null ? 0 : (long) rank * dim + dim);
  }

  /** Multiply-adds of one full lookup (0 when folded). */
  public long multiplyAdds() {
    return proj == null ? 0 : (long) rank * dim;
  }

  @Override
  public String toString() {
    return "LowRankEmbedding[" + rows + " x " + rank + (proj == null ? " folded" : " -> " + dim) + "]";
  }
}
