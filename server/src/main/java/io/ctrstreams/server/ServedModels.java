package io.ctrstreams.server;

import io.ctrstreams.serving.ModelRegistry;
import java.util.Objects;

/**
 * The models one server scores with: the live model's registry, an optional shadow registry and
 * the fraction of requests the shadow scores (chosen by the request id as the topology chooses
 * by the event id, {@code shadow.sample.rate}).
 *
 * @param live the registry of the model requests name
 * @param shadow the shadow model's registry, or null
 * @param shadowSampleRate in [0, 1]
 */
public record ServedModels(ModelRegistry live, ModelRegistry shadow, double shadowSampleRate) {

  /** Validates the rate. */
  public ServedModels {
    Objects.requireNonNull(live, "live");
    if (!(shadowSampleRate >= 0 && shadowSampleRate <= 1)) {
      throw new ServerException("shadow sample rate must be in [0, 1], found " + shadowSampleRate);
    }
  }

  /** Only a live model. */
  public static ServedModels of(ModelRegistry live) {
    return new ServedModels(live, null, 1);
  }

  /** The name requests use. */
  public String name() {
    return live.name();
  }

  /** True once the live model is loaded. */
  public boolean ready() {
    return live.current() != null;
  }
}
