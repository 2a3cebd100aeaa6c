package io.ctrstreams.broker;

import io.ctrstreams.CtrException;

/** Root runtime exception of the broker module: start-up, formatting or topic creation failed. */
public class BrokerException extends CtrException {

  /** Creates an exception with a message naming the offending value. */
  public BrokerException(String message) {
    super(message);
  }

  /** Creates an exception with a message naming the offending value and its cause. */
  public BrokerException(String message, Throwable cause) {
    super(message, cause);
  }
}
