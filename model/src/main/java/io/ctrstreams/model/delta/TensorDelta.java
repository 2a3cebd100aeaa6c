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
 * @param scales the groups' {@link GroupScale#LOG4} scales, or null (a float encoding, or
 *     bfloat16 scales, which the codec recovers from the values)
 */
public record TensorDelta(String tensor, int[] indices, float[] values, CodedScales scales) {
  /** Requires a name and both arrays (not copied: the records are built and read once). */
  public TensorDelta {
    Objects.requireNonNull(tensor, "tensor");
    Objects.requireNonNull(indices, "indices");
    Objects.requireNonNull(values, "values");
  }

  /** A delta whose scales, if any, are bfloat16 (or which has none). */
  public TensorDelta(String tensor, int[] indices, float[] values) {
    this(tensor, indices, values, null);
  }

  /**
   * {@link GroupScale#LOG4} scales of a quantized tensor delta: group {@code g}'s values are
   * integers times {@link ValueEncoding#codedScale codedScale(max, codes[g])}.
   *
   * @param max the tensor maximum, a bfloat16 ({@link ValueEncoding#codedMaximum})
   * @param codes one code in {@code [0, 16)} per group (rows, or blocks of {@link ValueEncoding#BLOCK} elements), in order
   */
  public record CodedScales(float max, byte[] codes) {
    /** Requires the codes. */
    public CodedScales {
      Objects.requireNonNull(codes, "codes");
    }
  }
}
