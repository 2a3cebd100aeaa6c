package io.ctrstreams.serving;

/**
 * Observes a {@link ModelRegistry}: metrics export, logging, tests. Called on the thread that
 * offered the model (the global stream thread); implementations must be quick and not throw
 * (exceptions are logged and ignored).
 */
public interface RegistryListener {

  /**
   * The served model changed.
   *
   * @param previous the model served before, or null for the first model
   * @param current the model served from now on
   */
  default void onSwap(ServedModel previous, ServedModel current) {}

  /**
   * A delta was applied to the served version: {@code current} is {@code previous} (same
   * version) with its next delta. Not a swap.
   */
  default void onDelta(ServedModel previous, ServedModel current) {}

  /**
   * A version was rejected; the served model did not change.
   *
   * @param model model name
   * @param version the rejected version, or -1 when unknown
   * @param reason why
   * @param message details naming the offending value
   */
  default void onReject(String model, long version, RejectReason reason, String message) {}
}
