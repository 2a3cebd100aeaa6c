package io.ctrstreams.model.format;

import io.ctrstreams.model.CtrModelException;

/**
 * Root of the errors raised while decoding a {@code .ctrm} file. The subclasses tell the caller
 * what to do: {@link TruncatedModelException} (retry or re-fetch, the input ended early), {@link
 * CorruptModelException} (discard, the bytes are wrong) and {@link
 * UnsupportedFormatVersionException} (upgrade or downgrade the reader). Messages name the
 * offending value and the byte offset where it was found.
 */
public class ModelFormatException extends CtrModelException {

  /** Byte offset from the start of the file where the problem was detected, or -1. */
  private final long offset;

  public ModelFormatException(String message, long offset) {
    super(offset >= 0 ? message + " (at byte offset " + offset + ")" : message);
    this.offset = offset;
  }

  public ModelFormatException(String message, long offset, Throwable cause) {
    super(offset >= 0 ? message + " (at byte offset " + offset + ")" : message, cause);
    this.offset = offset;
  }

  /** Byte offset from the start of the file where the problem was detected, or -1 if unknown. */
  public long offset() {
    return offset;
  }
}
