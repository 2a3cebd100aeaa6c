package io.ctrstreams.server;

/** Root exception of the server module: configuration or start-up failures, naming the offending value. */
public class ServerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message naming the offending value. */
  public ServerException(String message) {
    super(message);
  }

  /** An exception with a message and its cause. */
  public ServerException(String message, Throwable cause) {
    super(message, cause);
  }
}
