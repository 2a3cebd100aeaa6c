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
  private final Counter deltas;
  private final Counter deltaBytes;
  private final Gauge residual;
  private final Counter keyframes;
  private final Gauge probeError;
  private final Counter refused;
  private final Counter heldOut;
  private final Gauge holdoutLoss;

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
    deltas = Counter.builder().name("ctr_trainer_deltas_sent_total")
        .help("Deltas sent to the model-deltas topic.").register(registry);
    deltaBytes = Counter.builder().name("ctr_trainer_delta_bytes_total").unit(Unit.BYTES)
        .help("Bytes of the delta records sent.").register(registry);
    residual = Gauge.builder().name("ctr_trainer_delta_residual_ratio")
        .help("||x - w|| / ||x|| after the last delta: what the delta chain has not carried yet.").register(registry);
    keyframes = Counter.builder().name("ctr_trainer_keyframes_total")
        .help("Snapshots published as delta-chain keyframes, by reason (start, interval, residual, guard: the first to pass the holdout guard after a refused one).")
        .labelNames("reason").register(registry);
    probeError = Gauge.builder().name("ctr_trainer_delta_probe_logit_error")
        .help("Mean |logit(x) - logit(w)| on a fixed probe set: how far the delta chain's consumers lag the trainer.")
        .register(registry);
    refused = Counter.builder().name("ctr_trainer_snapshots_refused_total")
        .help("Snapshots not published, by reason (holdout_logloss: worse on the holdout window than the last published "
            + "one by more than publish.max.holdout.logloss.increase).")
        .labelNames("reason").register(registry);
    refused.labelValues(HoldoutGuard.REASON_HOLDOUT_LOGLOSS); // exported as 0 before the first refusal
    heldOut = Counter.builder().name("ctr_trainer_holdout_examples_total")
        .help("Examples held out from training into the holdout window (holdout.every).").register(registry);
    holdoutLoss = Gauge.builder().name("ctr_trainer_holdout_logloss")
        .help("Log loss of the last checked snapshot on the holdout window (published or not).").register(registry);
  }

  /** One snapshot refused, for {@code reason}. */
  public void refused(String reason) {
    refused.labelValues(reason).inc();
  }

  /** Examples held out. */
  public void heldOut(int n) {
    heldOut.inc(n);
  }

  /** The holdout log loss of the last checked snapshot. */
  public void holdoutLogloss(double l) {
    holdoutLoss.set(l);
  }

  /** The probe's mean logit error. */
  public void probeLogitError(double e) {
    probeError.set(e);
  }

  /** One delta sent. */
  public void delta(int bytes, double residualRatio) {
    deltas.inc();
    deltaBytes.inc(bytes);
    residual.set(residualRatio);
  }

  /** One keyframe published. */
  public void keyframe(String reason) {
    keyframes.labelValues(reason).inc();
    residual.set(0);
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
