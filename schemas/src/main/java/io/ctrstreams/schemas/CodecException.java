package io.ctrstreams.schemas;

import io.ctrstreams.CtrException;

/**
 * Root exception of the schemas module: a record that could not be decoded or failed validation.
 * Carries the {@link DecodeFailure} reason so callers can route and count without parsing
 * messages; the message names the offending value.
 */
public final class CodecException extends CtrException {

  private final DecodeFailure reason;

  /** A failure with a reason and a message naming the offending value. */
  public CodecException(DecodeFailure reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** A failure caused by a lower-level exception (Avro, Jackson). */
  public CodecException(DecodeFailure reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** Why the record was rejected. */
  public DecodeFailure reason() {
    return reason;
  }
}
