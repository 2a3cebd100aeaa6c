package io.ctrstreams.model;

import io.ctrstreams.CtrException;

/**
 * Root of every exception the model core throws. Messages name the offending value, e.g.
 * {@code "embedding dim for field C7 must be >= 1, found 0"}.
 */
public class CtrModelException extends CtrException {

  public CtrModelException(String message) {
    super(message);
  }

  public CtrModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
