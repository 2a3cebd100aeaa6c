package io.ctrstreams.onnx;

import io.ctrstreams.CtrException;

/** A model that cannot be exported to ONNX, with the reason and the offending value. */
public class OnnxExportException extends CtrException {
  private static final long serialVersionUID = 1L;

  public OnnxExportException(String message) {
    super(message);
  }

  public OnnxExportException(String message, Throwable cause) {
    super(message, cause);
  }
}
