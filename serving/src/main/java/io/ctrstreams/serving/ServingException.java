package io.ctrstreams.serving;

import io.ctrstreams.CtrException;

/** Root runtime exception of the serving module (publishing, transport, registry). */
public class ServingException extends CtrException {

  /** Creates an exception whose message names the offending model, version or value. */
  public ServingException(String message) {
    super(message);
  }

  /** Creates an exception whose message names the offending model, version or value. */
  public ServingException(String message, Throwable cause) {
    super(message, cause);
  }
}
