package io.ctrstreams.model.format;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What a verified {@code .ctrm} file contains, without the decoded tensor values: returned by
 * {@link CtrmFormat#inspect(byte[])} for tooling ({@code ctr} commands, recompressor reports,
 * manifests) that needs sizes, dtypes and digests but not the weights.
 *
 * @param formatVersion format version the file was written in
 * @param modelName model name
 * @param modelVersion model version
 * @param totalBytes file size in bytes
 * @param sha256Hex lower-case hex SHA-256 of the whole file (as {@link CtrmFormat#sha256Hex(byte[])})
 * @param metadata metadata entries, in file order
 * @param stringTableSizes entry count of each string table, in file order
 * @param tensors one entry per tensor, in file order
 */
public record CtrmFileInfo(
    int formatVersion,
    String modelName,
    long modelVersion,
    long totalBytes,
    String sha256Hex,
    Map<String, String> metadata,
    Map<String, Integer> stringTableSizes,
    List<TensorInfo> tensors) {

  /** Makes unmodifiable copies (the maps keep their order). */
  public CtrmFileInfo {
    metadata = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
    stringTableSizes =
        java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(stringTableSizes));
    tensors = List.copyOf(tensors);
  }

  /** Sum of the tensor payload bytes. */
  public long payloadBytes() {
    long n = 0;
    for (TensorInfo t : tensors) {
      n += t.payloadBytes();
    }
    return n;
  }

  /**
   * One tensor record.
   *
   * @param name tensor name
   * @param dtype storage dtype
   * @param shape shape (a copy is returned)
   * @param payloadBytes payload length in the file
   * @param offset byte offset of the record (its name length) from the start of the file
   */
  public record TensorInfo(String name, TensorDtype dtype, int[] shape, long payloadBytes, long offset) {
    /** Copies the shape. */
    public TensorInfo {
      shape = shape.clone();
    }

    /** A copy of the shape. */
    @Override
    public int[] shape() {
      return shape.clone();
    }

    /** Number of elements. */
    public long elements() {
      long n = 1;
      for (int d : shape) {
        n *= d;
      }
      return n;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TensorInfo t
          && name.equals(t.name)
          && dtype == t.dtype
          && Arrays.equals(shape, t.shape)
          && payloadBytes == t.payloadBytes
          && offset == t.offset;
    }

    @Override
    public int hashCode() {
      return (name.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + dtype.hashCode();
    }

    @Override
    public String toString() {
      return name + " " + dtype + " " + Arrays.toString(shape) + " " + payloadBytes + " bytes @" + offset;
    }
  }
}
