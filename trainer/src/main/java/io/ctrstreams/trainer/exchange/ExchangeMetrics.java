package io.ctrstreams.trainer.exchange;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/** Prometheus metrics of one data-parallel worker (names under {@code ctr_trainer_exchange_}). */
public final class ExchangeMetrics {
  private final Counter rounds;
  private final Counter roundSeconds;
  private final Gauge lastRoundSeconds;
  private final Counter bytesSent;
  private final Counter bytesReceived;
  private final Gauge errorNorm;
  private final Gauge shiftNorm;
  private final Gauge epoch;
  private final Gauge workers;
  private final Counter mismatches;
  private final Counter epochs;
  private final Counter phaseSeconds;

  /** Registers every metric in {@code registry}. */
  public ExchangeMetrics(PrometheusRegistry registry) {
    rounds = Counter.builder().name("ctr_trainer_exchange_rounds_total")
        .help("Synchronous rounds completed by this worker.").register(registry);
    roundSeconds = Counter.builder().name("ctr_trainer_exchange_round_seconds_total").unit(Unit.SECONDS)
        .help("Wall time of completed rounds (read examples, gradient, exchange, update); rate / rounds rate = mean round time.")
        .register(registry);
    lastRoundSeconds = Gauge.builder().name("ctr_trainer_exchange_last_round_seconds").unit(Unit.SECONDS)
        .help("Wall time of the last completed round.").register(registry);
    bytesSent = Counter.builder().name("ctr_trainer_exchange_sent_bytes_total").unit(Unit.BYTES)
        .help("Bytes of this worker's messages on the exchange topic.").register(registry);
    bytesReceived = Counter.builder().name("ctr_trainer_exchange_received_bytes_total").unit(Unit.BYTES)
        .help("Bytes of the other workers' messages read from the exchange topic.").register(registry);
    errorNorm = Gauge.builder().name("ctr_trainer_exchange_error_norm")
        .help("||e_i||: what this worker's messages have not carried yet.").register(registry);
    shiftNorm = Gauge.builder().name("ctr_trainer_exchange_shift_norm")
        .help("||h_i||: this worker's shift (its gradient estimate the others hold).").register(registry);
    epoch = Gauge.builder().name("ctr_trainer_exchange_epoch")
        .help("Current epoch (the consumer group generation of the labeled topic).").register(registry);
    workers = Gauge.builder().name("ctr_trainer_exchange_workers")
        .help("Workers in the current epoch.").register(registry);
    mismatches = Counter.builder().name("ctr_trainer_exchange_hash_mismatches_total")
        .help("Rounds whose messages carried different weight hashes (the workers resynced from the keyframe).")
        .register(registry);
    epochs = Counter.builder().name("ctr_trainer_exchange_epochs_total")
        .help("Epochs started (membership changes, including the first).").register(registry);
    phaseSeconds = Counter.builder().name("ctr_trainer_exchange_phase_seconds_total").unit(Unit.SECONDS)
        .help("Wall time of completed rounds by phase: read (the round's examples from the labeled topic), gradient "
            + "(forward/backward), send (weights hash, compress, encode, produce), wait (until every worker's message is read, "
            + "decode), update (aggregate, optimizer step).")
        .labelNames("phase").register(registry);
  }

  void round(double seconds, long sent, long received, double e, double h) {
    rounds.inc();
    roundSeconds.inc(seconds);
    lastRoundSeconds.set(seconds);
    bytesSent.inc(sent);
    bytesReceived.inc(received);
    errorNorm.set(e);
    shiftNorm.set(h);
  }

  void phases(double read, double gradient, double send, double wait, double update) {
    phaseSeconds.labelValues("read").inc(read);
    phaseSeconds.labelValues("gradient").inc(gradient);
    phaseSeconds.labelValues("send").inc(send);
    phaseSeconds.labelValues("wait").inc(wait);
    phaseSeconds.labelValues("update").inc(update);
  }

  void epoch(int generation, int n) {
    epochs.inc();
    epoch.set(generation);
    workers.set(n);
  }

  void mismatch() {
    mismatches.inc();
  }
}
