package io.ctrstreams.loadtest;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

/**
 * Bucket counts of the topology's own {@code ctr_scoring_latency_seconds} histogram (encode +
 * score of one impression, as the stream thread times it) at one moment; differences of two
 * snapshots give the distribution within a window. Classic buckets only, so a percentile is the
 * upper bound of the bucket that holds it.
 */
final class ScoringLatencySnapshot {
  static final String METRIC = "ctr_scoring_latency_seconds";

  final double[] upperBounds;
  final long[] counts;

  private ScoringLatencySnapshot(double[] upperBounds, long[] counts) {
    this.upperBounds = upperBounds;
    this.counts = counts;
  }

  /** Reads the histogram now; an empty snapshot when the registry does not have it. */
  static ScoringLatencySnapshot take(PrometheusRegistry registry) {
    for (MetricSnapshot m : registry.scrape(n -> n.startsWith("ctr_scoring_latency"))) {
      if (m instanceof HistogramSnapshot h && !h.getDataPoints().isEmpty()) {
        ClassicHistogramBuckets b = h.getDataPoints().get(0).getClassicBuckets();
        double[] ub = new double[b.size()];
        long[] c = new long[b.size()];
        for (int i = 0; i < b.size(); i++) {
          ub[i] = b.getUpperBound(i);
          c[i] = b.getCount(i);
        }
        return new ScoringLatencySnapshot(ub, c);
      }
    }
    return new ScoringLatencySnapshot(new double[0], new long[0]);
  }

  /** Adds {@code to - from} (per bucket) into {@code acc} (same layout, or empty to start). */
  static long[] accumulate(long[] acc, ScoringLatencySnapshot from, ScoringLatencySnapshot to) {
    long[] out = acc == null || acc.length != to.counts.length ? new long[to.counts.length] : acc;
    for (int i = 0; i < to.counts.length && i < from.counts.length; i++) {
      out[i] += to.counts[i] - from.counts[i];
    }
    return out;
  }

  /** The upper bound (ms) of the bucket holding the {@code q} quantile of {@code counts}; NaN if empty. */
  static double quantileUpperBoundMs(double[] upperBounds, long[] counts, double q) {
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    if (total == 0) {
      return Double.NaN;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return upperBounds[i] * 1e3;
      }
    }
    return Double.POSITIVE_INFINITY;
  }
}
