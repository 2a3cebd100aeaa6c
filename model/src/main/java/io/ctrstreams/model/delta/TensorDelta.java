package io.ctrstreams.model.delta;

import java.util.Objects;

/**
 * The part of a delta for one tensor: the updated units (rows of an embedding table, elements of
 * any other tensor) in increasing index order, and the values added to them ({@code unit} floats
 * per index, already rounded by the chain's {@link ValueEncoding}).
 *
 * @param tensor tensor name
 * @param indices updated units, strictly increasing
 * @param values {@code indices.length * unit} values to add
 */
public record TensorDelta(String tensor, int[] indices, float[] values) {
  /** Requires a name and both arrays (not copied: the records are built and read once). */
  public TensorDelta {
    Objects.requireNonNull(tensor, "tensor");
    Objects.requireNonNull(indices, "indices");
    Objects.requireNonNull(values, "values");
  }
}
