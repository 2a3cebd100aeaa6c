package io.ctrstreams.topology;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

/** Reads metric values from a registry in tests. */
public final class MetricValues {
  private MetricValues() {}

  /**
   * The value of {@code name} (without {@code _total} for counters) with exactly these label
   * pairs, or 0 when absent; histograms return their count.
   */
  public static double value(PrometheusRegistry registry, String name, String... labelPairs) {
    Labels want = Labels.of(labelPairs);
    for (MetricSnapshot s : registry.scrape()) {
      if (!s.getMetadata().getName().equals(name)) {
        continue;
      }
      for (DataPointSnapshot p : s.getDataPoints()) {
        if (!p.getLabels().equals(want)) {
          continue;
        }
        if (s instanceof CounterSnapshot) {
          return ((CounterSnapshot.CounterDataPointSnapshot) p).getValue();
        }
        if (s instanceof GaugeSnapshot) {
          return ((GaugeSnapshot.GaugeDataPointSnapshot) p).getValue();
        }
        if (s instanceof HistogramSnapshot) {
          return ((HistogramSnapshot.HistogramDataPointSnapshot) p).getCount();
        }
      }
    }
    return 0;
  }
}
