package io.ctrstreams.cli.demo;

import io.ctrstreams.model.eval.MetricsSnapshot;
import io.ctrstreams.recompressor.service.RecompressionOutcome;
import io.ctrstreams.serving.ServedModel;
import io.ctrstreams.topology.TopologyApp;
import io.ctrstreams.trainer.online.OnlineTrainer;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * Builds the demo's one-line status and its final summary from the running services: rates and
 * the scoring p99 come from the Prometheus registry (deltas between two lines, so they describe
 * the last interval), the live model from the topology's registry, online AUCs from the labeled
 * topic (live and shadow pCTR of the same examples). Called from the demo's main thread only.
 */
final class DemoStatus {
  private final TopologyApp topology;
  private final SyntheticTraffic traffic;
  private final LabelWatcher labels;
  private final OnlineTrainer trainer;
  private final List<RecompressionOutcome> outcomes;
  private final long startMs;
  private long lastMs;
  private double lastScored;
  private TreeMap<Double, Long> lastLatency = new TreeMap<>();
  private TreeMap<Double, Long> lastFreshness = new TreeMap<>();
  private double lastDeltas;
  private double lastDeltaBytes;

  DemoStatus(TopologyApp topology, SyntheticTraffic traffic, LabelWatcher labels, OnlineTrainer trainer,
      List<RecompressionOutcome> outcomes, long startMs) {
    this.topology = topology;
    this.traffic = traffic;
    this.labels = labels;
    this.trainer = trainer;
    this.outcomes = outcomes;
    this.startMs = startMs;
    this.lastMs = startMs;
  }

  /** One status line covering the time since the previous one. */
  String line() {
    long now = System.currentTimeMillis();
    MetricsView m = MetricsView.scrape(topology.registry());
    double scored = nz(m.counterSum("ctr_impressions_scored_total"));
    TreeMap<Double, Long> lat = m.histogramBuckets("ctr_scoring_latency_seconds");
    double rate = (scored - lastScored) * 1000.0 / Math.max(1, now - lastMs);
    double p99 = MetricsView.quantile(lat, lastLatency, 0.99);
    double seconds = Math.max(1, now - lastMs) / 1000.0;
    double deltas = nz(m.counterSum("ctr_recompressor_deltas_published_total"));
    double deltaBytes = nz(m.counterSum("ctr_recompressor_delta_bytes_total"));
    TreeMap<Double, Long> fresh = m.histogramBuckets("ctr_model_freshness_seconds");
    double freshP50 = MetricsView.quantile(fresh, lastFreshness, 0.5);
    double deltaRate = (deltas - lastDeltas) / seconds;
    double deltaByteRate = (deltaBytes - lastDeltaBytes) / seconds;
    lastScored = scored;
    lastLatency = lat;
    lastFreshness = fresh;
    lastDeltas = deltas;
    lastDeltaBytes = deltaBytes;
    lastMs = now;
    ServedModel live = topology.live().current();
    String liveText = live == null ? "live -- (waiting for the first compressed model)"
        : String.format(Locale.ROOT, "live %s v%d%s %.2fx (from full v%s)", live.name(), live.version(),
            live.deltaSequence() > 0 ? "+" + live.deltaSequence() : "", live.compressionRatio().orElse(Double.NaN),
            live.compressedFrom().orElse("?"));
    // what full snapshots of the served model at the delta rate would cost, for comparison
    double snapshotByteRate = live == null ? Double.NaN : deltaRate * live.sizeBytes();
    String refresh = String.format(Locale.ROOT, " | deltas %.1f/s %s/s (snapshots: %s/s) fresh p50 %s", deltaRate,
        bytes(deltaByteRate), bytes(snapshotByteRate),
        Double.isNaN(freshP50) ? "-" : String.format(Locale.ROOT, "%.1f s", freshP50));
    MetricsSnapshot[] w = labels.window();
    return String.format(Locale.ROOT,
        "[%4ds] imp/s %5.0f | p99 %s | %s | AUC live %s full %s (n=%d, 60s) | swaps %d%s | DLQ %.0f",
        (now - startMs) / 1000, rate, Double.isNaN(p99) ? "   -   " : String.format(Locale.ROOT, "%5.2f ms", p99 * 1e3),
        liveText, DemoRunner.auc(w[0]), DemoRunner.auc(w[1]), w[0].count(), topology.live().swapCount(), refresh,
        nz(m.counterSum("ctr_dlq_records_total")));
  }

  private static String bytes(double b) {
    if (Double.isNaN(b)) {
      return "-";
    }
    return b >= 1e6 ? String.format(Locale.ROOT, "%.1f MB", b / 1e6)
        : b >= 1e3 ? String.format(Locale.ROOT, "%.1f kB", b / 1e3) : String.format(Locale.ROOT, "%.0f B", b);
  }

  /** The end-of-run summary. */
  DemoSummary summary(long snapshotsPublished) {
    MetricsView m = MetricsView.scrape(topology.registry());
    long accepted;
    long rejected;
    long failed;
    synchronized (outcomes) {
      accepted = outcomes.stream().filter(o -> o.status().accepted()).count();
      rejected = outcomes.stream().filter(o -> o.status() == RecompressionOutcome.Status.REJECTED).count();
      failed = outcomes.stream().filter(o -> o.status() == RecompressionOutcome.Status.FAILED).count();
    }
    ServedModel live = topology.live().current();
    MetricsSnapshot[] all = labels.overall();
    TreeMap<Double, Long> fresh = m.histogramBuckets("ctr_model_freshness_seconds");
    return new DemoSummary((System.currentTimeMillis() - startMs) / 1000.0, traffic.impressionsSent(),
        traffic.clicksSent(), (long) nz(m.counterSum("ctr_impressions_scored_total")), labels.labeled(),
        labels.paired(), trainer.examplesTrained(), snapshotsPublished, accepted, rejected, failed,
        topology.live().swapCount(), live == null ? -1 : live.version(),
        live == null ? Double.NaN : live.compressionRatio().orElse(Double.NaN), labels.liveVersions(),
        all[0].auc(), all[1].auc(), (long) nz(m.counterSum("ctr_dlq_records_total")),
        topology.live().deltaCount(io.ctrstreams.model.delta.DeltaApplier.Outcome.APPLIED),
        (long) nz(m.counterSum("ctr_recompressor_delta_bytes_total")),
        MetricsView.quantile(fresh, new TreeMap<>(), 0.5), MetricsView.quantile(fresh, new TreeMap<>(), 0.99));
  }

  private static double nz(double v) {
    return Double.isNaN(v) ? 0 : v;
  }
}
