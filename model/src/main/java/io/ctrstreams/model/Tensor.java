package io.ctrstreams.model;

import java.util.Arrays;

/**
 * A named, dense, row-major float32 tensor: the unit of model weights in memory and in the
 * {@code .ctrm} format.
 *
 * <p>{@link #data()} returns the backing array without copying so that scorers can read weights
 * in place; callers must treat it as read-only once the tensor is part of a model.
 */
public final class Tensor {
  private static final long SHALLOW_BYTES = 16 + 3 * 8;

  private final String name;
  private final int[] shape;
  private final float[] data;

  /**
   * Creates a tensor over {@code data} (not copied).
   *
   * @throws CtrModelException if the name is empty, a dimension is below 1, or the shape's
   *     element count differs from {@code data.length}
   */
  public Tensor(String name, int[] shape, float[] data) {
    if (name == null || name.isEmpty()) {
      throw new CtrModelException("tensor name must be non-empty, found " + (name == null ? "null" : "\"\""));
    }
    if (shape == null || shape.length == 0) {
      throw new CtrModelException("tensor " + name + " must have at least one dimension, found none");
    }
    long n = 1;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 1) {
        throw new CtrModelException(
            "dimension " + i + " of tensor " + name + " must be >= 1, found " + shape[i]);
      }
      n *= shape[i];
      if (n > Integer.MAX_VALUE - 8) {
        throw new CtrModelException(
            "tensor " + name + " shape " + Arrays.toString(shape) + " has too many elements");
      }
    }
    if (data == null || data.length != n) {
      throw new CtrModelException(
          "tensor " + name + " shape " + Arrays.toString(shape) + " needs " + n
              + " values, found " + (data == null ? "null" : data.length));
    }
    this.name = name;
    this.shape = shape.clone();
    this.data = data;
  }

  /** A zero-filled tensor of the given shape. */
  public static Tensor zeros(String name, int... shape) {
    long n = 1;
    for (int d : shape) {
      n *= Math.max(d, 0);
    }
    if (n > Integer.MAX_VALUE - 8) {
      throw new CtrModelException("tensor " + name + " shape " + Arrays.toString(shape) + " has too many elements");
    }
    return new Tensor(name, shape, new float[(int) n]);
  }

  public String name() {
    return name;
  }

  /** A copy of the shape. */
  public int[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public int dim(int i) {
    return shape[i];
  }

  public int size() {
    return data.length;
  }

  /** The backing array (not a copy); read-only by contract. */
  public float[] data() {
    return data;
  }

  /** Whether the shape equals {@code expected}. */
  public boolean hasShape(int... expected) {
    return Arrays.equals(shape, expected);
  }

  /** Heap bytes held by this tensor, for {@code ramBytesUsed()} accounting. */
  public long ramBytesUsed() {
    return SHALLOW_BYTES + 16 + 4L * shape.length + 16 + 4L * data.length;
  }

  @Override
  public String toString() {
    return "Tensor[" + name + " " + Arrays.toString(shape) + "]";
  }
}
