package io.ctrstreams.model.format;

/**
 * The bytes are not a valid {@code .ctrm} file: bad magic or format name, checksum mismatch,
 * impossible or over-limit sizes, unknown dtype, invalid UTF-8, duplicate names, or trailing
 * bytes after the footer.
 */
public class CorruptModelException extends ModelFormatException {

  public CorruptModelException(String message, long offset) {
    super(message, offset);
  }

  public CorruptModelException(String message, long offset, Throwable cause) {
    super(message, offset, cause);
  }
}
