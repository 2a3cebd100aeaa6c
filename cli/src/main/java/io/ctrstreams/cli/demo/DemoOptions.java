package io.ctrstreams.cli.demo;

import java.time.Duration;

/**
 * Settings of one {@code ctr demo} run. The defaults are sized for a 2-core machine: a modest
 * model, a snapshot every 20 s, small calibration sets, so that at least two recompressed
 * versions are hot-swapped within two minutes.
 *
 * @param brokerPort embedded broker port (0 = free port); when taken, a free port is used instead
 * @param metricsPort Prometheus endpoint port (0 = free port); when taken, a free port is used
 * @param impressionsPerSecond synthetic traffic rate
 * @param duration how long to run; null = until {@link DemoRunner#stop()} (Ctrl-C)
 * @param statusInterval how often the status line is printed
 * @param snapshotInterval how often the trainer publishes a full snapshot
 * @param trainerExamplesPerSecond training throughput cap (0 = none)
 * @param attributionWindow click attribution window of the label join
 * @param clickDelayMeanMs mean delay of clicks after their impression
 * @param compressionSearch "fixed" (stable ranks) or "ga" (rank search per snapshot)
 * @param embeddingRank embedding rank of the fixed plan
 * @param compressionRatio target ratio of the rank search
 * @param seed synthetic stream seed (traffic and trainer share the hidden teacher)
 * @param jsonTraffic send impressions and clicks as JSON instead of Avro
 */
public record DemoOptions(
    int brokerPort, int metricsPort, double impressionsPerSecond, Duration duration, Duration statusInterval,
    Duration snapshotInterval, double trainerExamplesPerSecond, Duration attributionWindow, double clickDelayMeanMs,
    String compressionSearch, int embeddingRank, double compressionRatio, long seed, boolean jsonTraffic) {

  /** Validates the values, naming the offending one. */
  public DemoOptions {
    if (brokerPort < 0 || brokerPort > 65535) {
      throw new IllegalArgumentException("broker port must be in [0, 65535], found " + brokerPort);
    }
    if (metricsPort < 0 || metricsPort > 65535) {
      throw new IllegalArgumentException("metrics port must be in [0, 65535], found " + metricsPort);
    }
    if (!(impressionsPerSecond > 0) || impressionsPerSecond > 100_000) {
      throw new IllegalArgumentException("impressions per second must be in (0, 100000], found " + impressionsPerSecond);
    }
    if (duration != null && (duration.isNegative() || duration.isZero())) {
      throw new IllegalArgumentException("duration must be > 0, found " + duration);
    }
    if (statusInterval.toMillis() < 100) {
      throw new IllegalArgumentException("status interval must be >= 100 ms, found " + statusInterval);
    }
    if (snapshotInterval.toMillis() < 1000) {
      throw new IllegalArgumentException("snapshot interval must be >= 1 s, found " + snapshotInterval);
    }
    if (attributionWindow.toMillis() < 1000) {
      throw new IllegalArgumentException("attribution window must be >= 1 s, found " + attributionWindow);
    }
    if (!(clickDelayMeanMs > 0) || clickDelayMeanMs * 10 > attributionWindow.toMillis()) {
      throw new IllegalArgumentException("click delay mean must be in (0, attribution window / 10] so that every"
          + " click (capped at 10x the mean) lands in the window, found " + clickDelayMeanMs + " ms for a window of "
          + attributionWindow.toMillis() + " ms");
    }
    if (!"fixed".equals(compressionSearch) && !"ga".equals(compressionSearch)) {
      throw new IllegalArgumentException("compression search must be fixed or ga, found " + compressionSearch);
    }
  }

  /** The defaults of {@code ctr demo}. */
  public static DemoOptions defaults() {
    return new DemoOptions(9092, 9400, 300, null, Duration.ofSeconds(5), Duration.ofSeconds(20), 3000,
        Duration.ofSeconds(15), 1000, "fixed", 2, 3.0, 42, false);
  }
}
