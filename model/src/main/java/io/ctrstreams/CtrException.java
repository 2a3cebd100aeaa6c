package io.ctrstreams;

/**
 * Root of every exception ctr-streams throws. Each module has its own subclass ({@code
 * CtrModelException}, {@code CodecException}, {@code BrokerException}, {@code ServingException},
 * {@code TrainerException}, {@code RecompressorException}, {@code TopologyException}), so a caller
 * can catch one module's errors or all of them. Messages name the offending value, e.g. {@code
 * "embedding dim for field C7 must be >= 1, found 0"}.
 *
 * <p>It lives in the model core because every other module depends on that one.
 */
public class CtrException extends RuntimeException {
  /** A failure whose message names the offending value. */
  public CtrException(String message) {
    super(message);
  }

  /** A failure whose message names the offending value, caused by a lower-level exception. */
  public CtrException(String message, Throwable cause) {
    super(message, cause);
  }
}
