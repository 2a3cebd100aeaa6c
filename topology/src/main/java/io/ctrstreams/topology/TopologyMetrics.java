package io.ctrstreams.topology;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The service's own Prometheus metrics (names under {@code ctr_}), registered in one
 * {@link PrometheusRegistry} so each test (and each app instance) has its own.
 *
 * <p>Hot-path updates go through data points resolved once (no label lookup per record).
 * Model gauges (version, age, bytes, compression ratio) and online-quality gauges are
 * registered by {@link ModelMetrics} and {@link OnlineMetrics}, which read live state at scrape.
 */
public final class TopologyMetrics {
  private final PrometheusRegistry registry;
  private final CounterDataPoint impressions;
  private final CounterDataPoint liveCandidates;
  private final CounterDataPoint shadowCandidates;
  private final DistributionDataPoint latency;
  private final Gauge eventTimeLag;
  private final Counter dlq;
  private final ConcurrentMap<String, CounterDataPoint> dlqByKey = new ConcurrentHashMap<>();
  private final CounterDataPoint positives;
  private final CounterDataPoint negatives;
  private final Counter clicksDropped;
  private final CounterDataPoint shadowAbsLogitDiff;
  private final DistributionDataPoint freshness;

  /** Registers every metric in {@code registry}. */
  public TopologyMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    impressions = Counter.builder().name("ctr_impressions_scored_total")
        .help("Impressions scored (one per input record with a model).").register(registry);
    Counter cands = Counter.builder().name("ctr_candidates_scored_total")
        .help("Candidate ads scored, by variant (live, shadow).").labelNames("variant").register(registry);
    liveCandidates = cands.labelValues("live");
    shadowCandidates = cands.labelValues("shadow");
    latency = Histogram.builder().name("ctr_scoring_latency_seconds").unit(Unit.SECONDS)
        .help("Time to encode and score all candidates of one impression with the live model (on the direct path, which encodes while reading the record, decoding included).")
        .classicOnly()
        .classicUpperBounds(0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
            0.025, 0.05, 0.1, 0.25, 1)
        .register(registry);
    eventTimeLag = Gauge.builder().name("ctr_event_time_lag_seconds").unit(Unit.SECONDS)
        .help("Wall clock minus event time of the last scored impression.").register(registry);
    dlq = Counter.builder().name("ctr_dlq_records_total")
        .help("Records sent to the dead-letter topic, by source topic and reason.").labelNames("topic", "reason")
        .register(registry);
    Counter labels = Counter.builder().name("ctr_labels_total")
        .help("Labeled examples emitted, by label (1 = click within the window, 0 = none).").labelNames("label")
        .register(registry);
    positives = labels.labelValues("1");
    negatives = labels.labelValues("0");
    clicksDropped = Counter.builder().name("ctr_label_clicks_dropped_total")
        .help("Clicks not turned into labels, by reason (late, unknown_ad, duplicate, orphan).").labelNames("reason")
        .register(registry);
    shadowAbsLogitDiff = Counter.builder().name("ctr_shadow_abs_logit_diff_total")
        .help("Sum of |live logit - shadow logit| over shadow-scored candidates; divide by"
            + " ctr_candidates_scored_total{variant=\"shadow\"} for the online fidelity.")
        .register(registry);
    freshness = Histogram.builder().name("ctr_model_freshness_seconds").unit(Unit.SECONDS)
        .help("Per stream thread, from the making of a delta (the trainer's step that closed its interval) to the"
            + " first score made with parameters that include it.")
        .classicOnly().classicUpperBounds(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120)
        .register(registry);
  }

  /** The first score of a stream thread with a new delta, {@code ms} after the delta was made. */
  public void deltaFreshness(long ms) {
    freshness.observe(Math.max(0, ms) / 1e3);
  }

  /** The registry these metrics live in. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** One impression scored by the live model. */
  public void impressionScored(int candidates, long nanos, long eventTimeLagMs) {
    impressions.inc();
    liveCandidates.inc(candidates);
    latency.observe(nanos / 1e9);
    eventTimeLag.set(eventTimeLagMs / 1e3);
  }

  /** Shadow scores for one impression; {@code sumAbsLogitDiff} over its candidates. */
  public void shadowScored(int candidates, double sumAbsLogitDiff) {
    shadowCandidates.inc(candidates);
    shadowAbsLogitDiff.inc(sumAbsLogitDiff);
  }

  /**
   * Creates the dead-letter series of every reason the processors count ({@link
   * DeadLetters#REASONS}) for each of {@code sourceTopics}, at 0: alerts on their rate work
   * before the first dead letter, without {@code or vector(0)}.
   */
  public void expectDeadLetters(java.util.Collection<String> sourceTopics) {
    for (String topic : sourceTopics) {
      for (String reason : DeadLetters.REASONS) {
        dlqByKey.computeIfAbsent(topic + '\u0000' + reason, k -> dlq.labelValues(topic, reason));
      }
    }
  }

  /** One record routed to the DLQ. */
  public void deadLetter(String sourceTopic, String reason) {
    dlqByKey
        .computeIfAbsent(sourceTopic + '\u0000' + reason, k -> dlq.labelValues(sourceTopic, reason))
        .inc();
  }

  /** One labeled example emitted. */
  public void labeled(int label) {
    (label == 1 ? positives : negatives).inc();
  }

  /** A click that produced no label. */
  public void clickDropped(String reason) {
    clicksDropped.labelValues(reason).inc();
  }
}
