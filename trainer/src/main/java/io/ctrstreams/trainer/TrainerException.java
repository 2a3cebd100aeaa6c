package io.ctrstreams.trainer;

import io.ctrstreams.model.CtrModelException;

/**
 * Root of every exception the trainer throws (bad data, bad options, corrupt safetensors). It
 * extends the model core's root so callers that already handle model errors handle these too.
 */
public class TrainerException extends CtrModelException {
  private static final long serialVersionUID = 1L;

  public TrainerException(String message) {
    super(message);
  }

  public TrainerException(String message, Throwable cause) {
    super(message, cause);
  }
}
