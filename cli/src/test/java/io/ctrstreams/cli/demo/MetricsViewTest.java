package io.ctrstreams.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MetricsViewTest {

  @Test
  void shouldSumCountersOverLabelsByTheirExposedName() {
    PrometheusRegistry r = new PrometheusRegistry();
    Counter c = Counter.builder().name("ctr_dlq_records_total").labelNames("reason").register(r);
    c.labelValues("bad_json").inc(3);
    c.labelValues("no_model").inc(2);
    MetricsView v = MetricsView.scrape(r);
    assertThat(v.counterSum("ctr_dlq_records_total")).isEqualTo(5.0);
    assertThat(v.counterWithLabel("ctr_dlq_records_total", "reason", "no_model")).isEqualTo(2.0);
    assertThat(v.counterSum("ctr_absent_total")).isNaN();
  }

  @Test
  void shouldInterpolateTheQuantileOfTheObservationsBetweenTwoScrapes() {
    PrometheusRegistry r = new PrometheusRegistry();
    Histogram h = Histogram.builder().name("ctr_scoring_latency_seconds").classicOnly()
        .classicUpperBounds(0.001, 0.002, 0.004).register(r);
    for (int i = 0; i < 100; i++) {
      h.observe(0.0005); // before the first scrape: must not count
    }
    TreeMap<Double, Long> before = MetricsView.scrape(r).histogramBuckets("ctr_scoring_latency_seconds");
    // 90 in (0.001, 0.002], 10 in (0.002, 0.004]
    for (int i = 0; i < 90; i++) {
      h.observe(0.0015);
    }
    for (int i = 0; i < 10; i++) {
      h.observe(0.003);
    }
    TreeMap<Double, Long> now = MetricsView.scrape(r).histogramBuckets("ctr_scoring_latency_seconds");
    // rank 0.5 * 100 = 50 lies in the second bucket: 0.001 + 0.001 * 50 / 90
    assertThat(MetricsView.quantile(now, before, 0.5)).isCloseTo(0.001 + 0.001 * 50 / 90, within(1e-12));
    // rank 99 lies in the third bucket: 0.002 + 0.002 * (99 - 90) / 10
    assertThat(MetricsView.quantile(now, before, 0.99)).isCloseTo(0.002 + 0.002 * 9 / 10, within(1e-12));
    assertThat(MetricsView.quantile(now, now, 0.99)).isNaN();
  }

  @Test
  void shouldReportTheHighestFiniteBoundForObservationsAboveAllBuckets() {
    PrometheusRegistry r = new PrometheusRegistry();
    Histogram h = Histogram.builder().name("ctr_x_seconds").classicOnly().classicUpperBounds(0.001, 0.01).register(r);
    h.observe(5);
    TreeMap<Double, Long> now = MetricsView.scrape(r).histogramBuckets("ctr_x_seconds");
    assertThat(MetricsView.quantile(now, new TreeMap<>(), 0.99)).isEqualTo(0.01);
  }
}
