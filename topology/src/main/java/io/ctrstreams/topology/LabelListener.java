package io.ctrstreams.topology;

import io.ctrstreams.schemas.LabeledExample;

/**
 * Receives every labeled example the label join emits, on the stream thread that emits it
 * (so implementations must be cheap and thread-safe against their own readers, e.g. a
 * Prometheus scrape). {@link OnlineMetrics} is the production implementation.
 */
@FunctionalInterface
public interface LabelListener {
  /** Called once per emitted example. */
  void onLabel(LabeledExample example);

  /** A listener that ignores everything. */
  static LabelListener none() {
    return e -> {};
  }
}
