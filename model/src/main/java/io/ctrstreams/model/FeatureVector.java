package io.ctrstreams.model;

import java.util.Arrays;

/**
 * A reusable, mutable holder for one encoded example part (a request's context or one candidate
 * ad): per field ordinal (spec order) a table row {@code index[f]} and a value {@code value[f]}.
 *
 * <p>Lookup fields (categorical, LOG_BUCKET) use {@code index} (the value is ignored, the encoder
 * writes 1). SCALED numeric fields use {@code value} (the index is ignored, the encoder writes 0);
 * the embedding is {@code value * v_field}. A scorer reads only the entries of the fields whose
 * role matches the argument (context or candidate), so one vector type serves both.
 *
 * <p>Not thread-safe; meant to be reused across events to avoid allocation.
 */
public final class FeatureVector {
  private final int[] index;
  private final float[] value;

  /** A zeroed vector for {@code fieldCount} fields. */
  public FeatureVector(int fieldCount) {
    if (fieldCount < 1) {
      throw new CtrModelException("feature vector field count must be >= 1, found " + fieldCount);
    }
    this.index = new int[fieldCount];
    this.value = new float[fieldCount];
  }

  /** Number of fields. */
  public int size() {
    return index.length;
  }

  /** The backing row-index array (not a copy). */
  public int[] index() {
    return index;
  }

  /** The backing value array (not a copy). */
  public float[] value() {
    return value;
  }

  /** Sets field {@code ordinal} to row {@code row} with value {@code v}. */
  public FeatureVector set(int ordinal, int row, float v) {
    index[ordinal] = row;
    value[ordinal] = v;
    return this;
  }

  /** Copies all entries of {@code other} (same size) into this vector. */
  public void copyFrom(FeatureVector other) {
    if (other.size() != size()) {
      throw new CtrModelException("cannot copy a feature vector of " + other.size() + " fields into one of "
          + size());
    }
    System.arraycopy(other.index, 0, index, 0, index.length);
    System.arraycopy(other.value, 0, value, 0, value.length);
  }

  /** Zeroes all entries. */
  public void clear() {
    Arrays.fill(index, 0);
    Arrays.fill(value, 0f);
  }

  @Override
  public String toString() {
    return "FeatureVector[index=" + Arrays.toString(index) + ", value=" + Arrays.toString(value) + "]";
  }
}
