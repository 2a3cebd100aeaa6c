package io.ctrstreams.model;

import java.util.Arrays;

/**
 * A dense embedding table [rows, d]: {@code e = scale * table[row]}. Lookup fields use scale 1;
 * SCALED numeric fields have one row and use the raw value as the scale.
 */
public final class Embedding implements FieldInput {
  private final Tensor tableT;
  private final float[] table;
  private final int rows;
  private final int dim;

  /** Wraps {@code table} [rows, d] (not copied). */
  public Embedding(Tensor table) {
    if (table.rank() != 2) {
      throw new CtrModelException("tensor " + table.name() + " must be a matrix [rows, d], found shape "
          + Arrays.toString(table.shape()));
    }
    this.tableT = table;
    this.table = table.data();
    this.rows = table.dim(0);
    this.dim = table.dim(1);
  }

  /** The table tensor. */
  public Tensor table() {
    return tableT;
  }

  public int rows() {
    return rows;
  }

  /** Embedding dim d. */
  public int dim() {
    return dim;
  }

  @Override
  public int width() {
    return dim;
  }

  @Override
  public void write(int row, float scale, float[] out, int off) {
    lookup(row, scale, out, off);
  }

  /** Writes {@code scale * table[row]} to {@code out[off .. off+d)}. */
  public void lookup(int row, float scale, float[] out, int off) {
    Checks.row(tableT.name(), row, rows);
    Checks.range(tableT.name(), "output", out, off, dim);
    int base = row * dim;
    for (int j = 0; j < dim; j++) {
      out[off + j] = scale * table[base + j];
    }
  }

  public long parameterCount() {
    return (long) rows * dim;
  }

  @Override
  public String toString() {
    return "Embedding[" + rows + " x " + dim + "]";
  }
}
