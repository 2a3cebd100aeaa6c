package io.ctrstreams.trainer.safetensors;

import io.ctrstreams.trainer.TrainerException;

/** A safetensors file that is corrupt, unsupported, or does not fit the target spec. */
public final class SafetensorsException extends TrainerException {

  public SafetensorsException(String message) {
    super(message);
  }

  public SafetensorsException(String message, Throwable cause) {
    super(message, cause);
  }
}
