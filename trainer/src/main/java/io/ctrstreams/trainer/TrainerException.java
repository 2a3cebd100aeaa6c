package io.ctrstreams.trainer;

import io.ctrstreams.CtrException;

/**
 * Root of every exception the trainer throws (bad data, bad options, corrupt safetensors), under
 * the project-wide {@link CtrException}.
 */
public class TrainerException extends CtrException {

  public TrainerException(String message) {
    super(message);
  }

  public TrainerException(String message, Throwable cause) {
    super(message, cause);
  }
}
