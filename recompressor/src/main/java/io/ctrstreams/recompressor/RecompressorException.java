package io.ctrstreams.recompressor;

import io.ctrstreams.CtrException;

/**
 * Root of every exception the recompressor throws. Messages name the offending value, e.g.
 * {@code "rank of layer mlp.1 must be in [1, 400], found 0"}.
 */
public class RecompressorException extends CtrException {

  public RecompressorException(String message) {
    super(message);
  }

  public RecompressorException(String message, Throwable cause) {
    super(message, cause);
  }
}
