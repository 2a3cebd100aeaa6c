package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

class LiveSeriesTest {

  @Test
  void quantileShouldInterpolateInsideTheBucketAsHistogramQuantileDoes() {
    double[] les = {0.001, 0.01, 0.1, Double.POSITIVE_INFINITY};
    assertThat(LiveSeries.quantile(0.99, les, new double[] {0, 100, 0, 0})).isCloseTo(0.00991, within(1e-12));
    assertThat(LiveSeries.quantile(0.5, les, new double[] {50, 50, 0, 0})).isCloseTo(0.001, within(1e-12));
    assertThat(LiveSeries.quantile(0.99, les, new double[] {0, 0, 0, 5})).isEqualTo(0.1); // +Inf bucket: its lower bound
    assertThat(LiveSeries.quantile(0.99, les, new double[] {0, 0, 0, 0})).isNaN();
  }

  @Test
  void shouldTurnCountersIntoRatesAndLatencyIncrementsIntoP99() {
    PrometheusRegistry r = new PrometheusRegistry();
    TopologyMetrics m = new TopologyMetrics(r);
    LiveSeries live = new LiveSeries(r);
    live.sample(1_000);
    for (int i = 0; i < 200; i++) {
      m.impressionScored(3, 2_000_000, 0); // 2 ms each: in the (1 ms, 2.5 ms] bucket
    }
    m.deadLetter("impressions", "bad_json");
    live.sample(3_000); // two seconds later
    String json = live.json();
    assertThat(json).startsWith("{\"t\":[1000,3000],\"impressionsPerSecond\":[null,100.000],\"p99Ms\":[null,2.48500]")
        .contains("\"deadLettersPerSecond\":[null,0.500000]").endsWith("\"swaps\":[]}");
    live.close();
  }
}
