package io.ctrstreams.trainer.online;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/** Prometheus metrics of the continuous trainer (names under {@code ctr_trainer_}). */
public final class OnlineTrainerMetrics {
  private final Counter examples;
  private final Gauge loss;
  private final Counter snapshots;
  private final Gauge lastSnapshot;
  private final Gauge version;

  /** Registers every metric in {@code registry}. */
  public OnlineTrainerMetrics(PrometheusRegistry registry) {
    examples = Counter.builder().name("ctr_trainer_examples_total")
        .help("Examples trained on.").register(registry);
    loss = Gauge.builder().name("ctr_trainer_loss")
        .help("Training loss (binary cross-entropy), exponential moving average over batches.").register(registry);
    snapshots = Counter.builder().name("ctr_trainer_snapshots_published_total")
        .help("Full-precision snapshots published to the model-updates topic.").register(registry);
    lastSnapshot = Gauge.builder().name("ctr_trainer_last_snapshot_timestamp_seconds").unit(Unit.SECONDS)
        .help("Unix time of the last published snapshot.").register(registry);
    version = Gauge.builder().name("ctr_trainer_snapshot_version")
        .help("Version of the last published snapshot.").register(registry);
  }

  /** One batch trained. */
  public void trained(int n, double smoothedLoss) {
    examples.inc(n);
    loss.set(smoothedLoss);
  }

  /** One snapshot published. */
  public void published(long v) {
    snapshots.inc();
    version.set(v);
    lastSnapshot.set(System.currentTimeMillis() / 1000.0);
  }
}
