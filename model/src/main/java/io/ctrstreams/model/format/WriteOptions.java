package io.ctrstreams.model.format;

import io.ctrstreams.model.CtrModelException;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Options for {@link CtrmFormat#write}: which {@link TensorDtype} stores each tensor. The
 * default stores every tensor as {@link TensorDtype#FLOAT32}, which round-trips bit-exactly.
 *
 * <pre>{@code
 * WriteOptions opts = WriteOptions.dtypes(name -> name.startsWith("emb/")
 *     ? TensorDtype.INT8_ROW_SCALED : TensorDtype.FLOAT32);
 * }</pre>
 */
public final class WriteOptions {
  private static final WriteOptions DEFAULT = new WriteOptions(name -> TensorDtype.FLOAT32);

  private final Function<String, TensorDtype> dtypeByTensorName;

  private WriteOptions(Function<String, TensorDtype> dtypeByTensorName) {
    this.dtypeByTensorName = dtypeByTensorName;
  }

  /** Every tensor as FLOAT32. */
  public static WriteOptions defaults() {
    return DEFAULT;
  }

  /** Every tensor in {@code dtype}. */
  public static WriteOptions allAs(TensorDtype dtype) {
    Objects.requireNonNull(dtype, "dtype");
    return new WriteOptions(name -> dtype);
  }

  /** The dtype of each tensor chosen by a function of its name (which must not return null). */
  public static WriteOptions dtypes(Function<String, TensorDtype> dtypeByTensorName) {
    return new WriteOptions(Objects.requireNonNull(dtypeByTensorName, "dtypeByTensorName"));
  }

  /** Tensors named in {@code overrides} use that dtype, all others FLOAT32. */
  public static WriteOptions dtypes(Map<String, TensorDtype> overrides) {
    Map<String, TensorDtype> copy = Map.copyOf(overrides);
    return new WriteOptions(name -> copy.getOrDefault(name, TensorDtype.FLOAT32));
  }

  /** The dtype chosen for the tensor {@code name}. */
  public TensorDtype dtypeFor(String name) {
    TensorDtype d = dtypeByTensorName.apply(name);
    if (d == null) {
      throw new CtrModelException("WriteOptions chose no dtype for tensor " + name + ", found null");
    }
    return d;
  }
}
