package io.ctrstreams.server.internal;

/**
 * A request the server will not score, with the HTTP status and the reason label it is answered
 * and counted with (the DLQ's reasons where the topology has one).
 */
public final class RequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** OIP: an input names no field of the model. */
  public static final String UNKNOWN_INPUT = "unknown_input";
  /** OIP: an input's shape does not match its data or the batch. */
  public static final String SHAPE_MISMATCH = "shape_mismatch";
  /** The path names a model this server does not serve. */
  public static final String UNKNOWN_MODEL = "unknown_model";

  private final int status;
  private final String reason;

  /** A rejection answered with {@code status}. */
  public RequestException(int status, String reason, String message) {
    super(message, null, false, false);
    this.status = status;
    this.reason = reason;
  }

  /** The HTTP status (mapped to a gRPC status on that protocol). */
  public int status() {
    return status;
  }

  /** The reason label. */
  public String reason() {
    return reason;
  }
}
