package io.ctrstreams.model.format;

/**
 * The input ended before the structure it declares was complete: a prefix of a {@code .ctrm}
 * file, e.g. an interrupted download or a chunk transfer that stopped early.
 */
public class TruncatedModelException extends ModelFormatException {

  public TruncatedModelException(String message, long offset) {
    super(message, offset);
  }
}
