package io.ctrstreams.model;

/**
 * Root of every exception the model core throws. Messages name the offending value, e.g.
 * {@code "embedding dim for field C7 must be >= 1, found 0"}.
 */
public class CtrModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CtrModelException(String message) {
    super(message);
  }

  public CtrModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
