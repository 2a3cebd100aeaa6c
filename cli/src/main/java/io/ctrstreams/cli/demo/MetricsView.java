package io.ctrstreams.cli.demo;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the in-process Prometheus registry the way a scrape would, so the demo's status line shows
 * the same numbers as {@code /metrics} without depending on the services' internals. Only
 * {@code ctr_*} metrics are collected (the Kafka Streams bridge is skipped: it is costly to scrape
 * every few seconds).
 */
final class MetricsView {
  private final MetricSnapshots snapshots;

  private MetricsView(MetricSnapshots snapshots) {
    this.snapshots = snapshots;
  }

  /** Scrapes the {@code ctr_*} metrics of {@code registry} now. */
  static MetricsView scrape(PrometheusRegistry registry) {
    return new MetricsView(registry.scrape(name -> name.startsWith("ctr_")));
  }

  private MetricSnapshot find(String name) {
    String base = name.endsWith("_total") ? name.substring(0, name.length() - "_total".length()) : name;
    for (MetricSnapshot s : snapshots) {
      String n = s.getMetadata().getName();
      String pn = s.getMetadata().getPrometheusName();
      if (n.equals(name) || n.equals(base) || pn.equals(name) || pn.equals(base)) {
        return s;
      }
    }
    return null;
  }

  /** Sum of a counter over all label sets; NaN when the counter does not exist. */
  double counterSum(String name) {
    MetricSnapshot s = find(name);
    if (!(s instanceof CounterSnapshot c)) {
      return Double.NaN;
    }
    double sum = 0;
    for (CounterSnapshot.CounterDataPointSnapshot p : c.getDataPoints()) {
      sum += p.getValue();
    }
    return sum;
  }

  /** A counter's value for one label value (others summed over); NaN when absent. */
  double counterWithLabel(String name, String label, String value) {
    MetricSnapshot s = find(name);
    if (!(s instanceof CounterSnapshot c)) {
      return Double.NaN;
    }
    double sum = 0;
    boolean any = false;
    for (CounterSnapshot.CounterDataPointSnapshot p : c.getDataPoints()) {
      if (value.equals(p.getLabels().get(label))) {
        sum += p.getValue();
        any = true;
      }
    }
    return any ? sum : Double.NaN;
  }

  /** The first gauge data point whose labels contain {@code labels}; NaN when absent. */
  double gauge(String name, Map<String, String> labels) {
    MetricSnapshot s = find(name);
    if (!(s instanceof GaugeSnapshot g)) {
      return Double.NaN;
    }
    for (GaugeSnapshot.GaugeDataPointSnapshot p : g.getDataPoints()) {
      boolean match = true;
      for (Map.Entry<String, String> e : labels.entrySet()) {
        if (!e.getValue().equals(p.getLabels().get(e.getKey()))) {
          match = false;
          break;
        }
      }
      if (match) {
        return p.getValue();
      }
    }
    return Double.NaN;
  }

  /**
   * Classic-bucket counts of a histogram since start (upper bound to the count of observations in
   * that bucket alone, all label sets summed); empty when absent.
   */
  TreeMap<Double, Long> histogramBuckets(String name) {
    TreeMap<Double, Long> out = new TreeMap<>();
    MetricSnapshot s = find(name);
    if (!(s instanceof HistogramSnapshot h)) {
      return out;
    }
    for (HistogramSnapshot.HistogramDataPointSnapshot p : h.getDataPoints()) {
      ClassicHistogramBuckets b = p.getClassicBuckets();
      for (int i = 0; i < b.size(); i++) {
        out.merge(b.getUpperBound(i), b.getCount(i), Long::sum);
      }
    }
    return out;
  }

  /**
   * The {@code q} quantile of the observations between two bucket snapshots ({@code before} may
   * be empty), interpolated linearly inside the bucket that holds it as Prometheus'
   * {@code histogram_quantile} does; NaN without observations.
   */
  static double quantile(TreeMap<Double, Long> now, TreeMap<Double, Long> before, double q) {
    long total = 0;
    TreeMap<Double, Long> delta = new TreeMap<>();
    for (Map.Entry<Double, Long> e : now.entrySet()) {
      long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      delta.put(e.getKey(), d);
      total += d;
    }
    if (total <= 0) {
      return Double.NaN;
    }
    double rank = q * total;
    long seen = 0;
    double lower = 0;
    for (Map.Entry<Double, Long> e : delta.entrySet()) {
      long c = e.getValue();
      if (seen + c >= rank && c > 0) {
        double upper = e.getKey();
        if (Double.isInfinite(upper)) {
          return lower; // as histogram_quantile: the highest finite bound
        }
        return lower + (upper - lower) * (rank - seen) / c;
      }
      seen += c;
      if (!Double.isInfinite(e.getKey())) {
        lower = e.getKey();
      }
    }
    return lower;
  }
}
