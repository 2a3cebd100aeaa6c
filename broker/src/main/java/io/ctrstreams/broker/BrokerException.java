package io.ctrstreams.broker;

/** Root runtime exception of the broker module: start-up, formatting or topic creation failed. */
public class BrokerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message naming the offending value. */
  public BrokerException(String message) {
    super(message);
  }

  /** Creates an exception with a message naming the offending value and its cause. */
  public BrokerException(String message, Throwable cause) {
    super(message, cause);
  }
}
