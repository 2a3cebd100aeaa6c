package io.ctrstreams.recompressor.service;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prometheus metrics of the recompressor service (names under {@code ctr_recompress}). */
public final class RecompressorMetrics {
  private final Histogram duration;
  private final Gauge ranks;
  private final Gauge bytes;
  private final Gauge ratio;
  private final Counter outcomes;
  private final Gauge lastSuccess;
  private final Counter snapshots;
  private final Gauge reservoir;
  private final Gauge holdout;
  private final Counter dropped;
  private final Counter deltas;
  private final Counter deltaBytes;
  private final Counter relayStops;
  private final Gauge fidelity;

  /** Registers every metric in {@code registry}. */
  public RecompressorMetrics(PrometheusRegistry registry) {
    duration = Histogram.builder()
        .name("ctr_recompression_duration_seconds").unit(Unit.SECONDS)
        .help("Wall time of one recompression run (decode, calibrate, compress, gate, publish).")
        .classicOnly().classicUpperBounds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300)
        .register(registry);
    ranks = Gauge.builder().name("ctr_recompression_rank")
        .help("Rank chosen per compressed layer in the last accepted model.")
        .labelNames("layer").register(registry);
    bytes = Gauge.builder().name("ctr_recompression_model_bytes").unit(Unit.BYTES)
        .help("Serialized size of the last full model and of the last accepted compressed model.")
        .labelNames("model").register(registry);
    ratio = Gauge.builder().name("ctr_recompression_ratio")
        .help("Full bytes / compressed bytes of the last accepted model.").register(registry);
    outcomes = labelledCounter(registry, "ctr_recompression_gate_outcomes_total",
        "Recompression runs by outcome (accepted, accepted_without_auc, rejected, failed).", "outcome",
        java.util.Arrays.stream(RecompressionOutcome.Status.values()).map(RecompressorMetrics::label).toList());
    lastSuccess = Gauge.builder().name("ctr_recompression_last_success_timestamp_seconds").unit(Unit.SECONDS)
        .help("Unix time of the last accepted publish.").register(registry);
    snapshots = Counter.builder().name("ctr_recompressor_snapshots_received_total")
        .help("Full snapshots assembled from the model-updates topic.").register(registry);
    reservoir = Gauge.builder().name("ctr_recompressor_reservoir_impressions")
        .help("Impressions held in the calibration reservoir.").register(registry);
    holdout = Gauge.builder().name("ctr_recompressor_holdout_rows")
        .help("Labeled examples held in the holdout window.").register(registry);
    dropped = labelledCounter(registry, "ctr_recompressor_rows_dropped_total",
        "Sampled records left out: invalid impressions not sampled (invalid), stored rows the full model cannot encode (unencodable).",
        "reason", List.of("invalid", "unencodable"));
    deltas = Counter.builder().name("ctr_recompressor_deltas_published_total")
        .help("Compressed deltas (full deltas projected onto the published student) sent to the deltas topic.")
        .register(registry);
    deltaBytes = Counter.builder().name("ctr_recompressor_delta_bytes_total").unit(Unit.BYTES)
        .help("Bytes of the compressed deltas sent.").register(registry);
    relayStops = labelledCounter(registry, "ctr_recompressor_delta_relay_stops_total",
        "Delta relays stopped: the student no longer fits (refactorize), the full chain broke twice (broken), or a"
            + " resync from the chain's start (resync).", "reason", List.of("refactorize", "broken", "resync"));
    fidelity = Gauge.builder().name("ctr_recompressor_delta_fidelity_logit_diff")
        .help("Mean |logit difference| between the delta-updated student and the reconstructed full model at the"
            + " last fidelity check.").register(registry);
  }

  /** One compressed delta of {@code bytes} sent. */
  public void deltaPublished(int bytes) {
    deltas.inc();
    deltaBytes.inc(bytes);
  }

  /** The relay stopped or resynced ({@code refactorize}, {@code broken}, {@code resync}). */
  public void relayStop(String reason) {
    relayStops.labelValues(reason).inc();
  }

  /** The last fidelity check's mean |logit diff|. */
  public void fidelity(double meanAbsLogitDiff) {
    fidelity.set(meanAbsLogitDiff);
  }

  /** A counter with one label whose known values are exposed at 0, so rates work from the first scrape. */
  private static Counter labelledCounter(PrometheusRegistry registry, String name, String help, String label,
      List<String> values) {
    Counter c = Counter.builder().name(name).help(help).labelNames(label).register(registry);
    values.forEach(v -> c.labelValues(v).inc(0));
    return c;
  }

  /** Counts {@code n} sampled records left out for {@code reason} ({@code invalid}, {@code unencodable}). */
  public void dropped(String reason, int n) {
    dropped.labelValues(reason).inc(n);
  }

  /** Records one run. */
  public void outcome(RecompressionOutcome o) {
    duration.observe(o.seconds());
    outcomes.labelValues(label(o.status())).inc();
    bytes.labelValues("full").set(o.fullBytes());
    if (o.status().accepted()) {
      bytes.labelValues("compressed").set(o.compressedBytes());
      ratio.set(o.compressionRatio());
      lastSuccess.set(System.currentTimeMillis() / 1000.0);
      for (Map.Entry<String, Integer> e : o.ranks().entrySet()) {
        ranks.labelValues(e.getKey()).set(e.getValue());
      }
    }
  }

  /** One snapshot assembled. */
  public void snapshotReceived() {
    snapshots.inc();
  }

  /** Current state sizes. */
  public void stateSizes(long reservoirImpressions, long holdoutRows) {
    reservoir.set(reservoirImpressions);
    holdout.set(holdoutRows);
  }

  private static String label(RecompressionOutcome.Status s) {
    return s.name().toLowerCase(Locale.ROOT);
  }
}
