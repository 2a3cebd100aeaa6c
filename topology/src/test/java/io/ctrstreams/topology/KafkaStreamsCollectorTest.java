package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

class KafkaStreamsCollectorTest {
  /** A Kafka metric whose value comes from {@code value} at each read (shared with MetricsNamingTest). */
  static Metric metric(MetricName name, Supplier<Object> value) {
    return new Metric() {
      @Override
      public MetricName metricName() {
        return name;
      }

      @Override
      public Object metricValue() {
        return value.get();
      }
    };
  }

  private static Metric constant(MetricName name, Object value) {
    return metric(name, () -> value);
  }

  private static void put(Map<MetricName, Metric> m, String group, String name, Object value, String... tags) {
    Map<String, String> t = new LinkedHashMap<>();
    for (int i = 0; i < tags.length; i += 2) {
      t.put(tags[i], tags[i + 1]);
    }
    MetricName mn = new MetricName(name, group, "desc of " + name, t);
    m.put(mn, constant(mn, value));
  }

  @Test
  void filteredScrapeShouldReadOnlyTheIncludedMetrics() {
    Map<MetricName, Metric> m = new LinkedHashMap<>();
    java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
    for (int i = 0; i < 50; i++) {
      MetricName mn = new MetricName("poll-rate-" + i, "consumer-metrics", "d", Map.of("client-id", "c"));
      m.put(mn, metric(mn, () -> {
        reads.incrementAndGet();
        return 1.0;
      }));
    }
    put(m, "stream-thread-metrics", "process-total", 42.0, "thread-id", "t1");
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(new KafkaStreamsCollector(() -> m));
    MetricSnapshots only = registry.scrape(n -> n.equals("kafka_streams_stream_thread_process"));
    assertThat(only.size()).isEqualTo(1);
    assertThat(only.get(0)).isInstanceOf(CounterSnapshot.class);
    assertThat(reads.get()).as("values of excluded metrics are not read").isZero();
    assertThat(registry.scrape().size()).isEqualTo(51);
    assertThat(reads.get()).isEqualTo(50);
  }

  @Test
  void shouldMapTotalsToCountersSkipNonNumericAndUnifyLabelSets() {
    Map<MetricName, Metric> m = new LinkedHashMap<>();
    put(m, "stream-thread-metrics", "process-total", 42.0, "thread-id", "t1");
    put(m, "stream-thread-metrics", "process-rate", 3.5, "thread-id", "t1");
    put(m, "stream-thread-metrics", "process-total", 7.0, "thread-id", "t2", "extra", "x");
    put(m, "app-info", "version", "4.4.0", "client-id", "c");
    put(m, "stream-thread-metrics", "broken-total", Double.NaN, "thread-id", "t1");
    MetricSnapshots snaps = new KafkaStreamsCollector(() -> m).collect();
    Map<String, MetricSnapshot> byName = new LinkedHashMap<>();
    snaps.forEach(s -> byName.put(s.getMetadata().getName(), s));
    assertThat(byName).containsOnlyKeys("kafka_streams_stream_thread_process", "kafka_streams_stream_thread_process_rate");
    MetricSnapshot total = byName.get("kafka_streams_stream_thread_process");
    assertThat(total).isInstanceOf(CounterSnapshot.class);
    assertThat(total.getDataPoints()).hasSize(2);
    total.getDataPoints().forEach(p -> {
      assertThat(p.getLabels().contains("thread_id")).isTrue();
      assertThat(p.getLabels().contains("extra")).isTrue();
    });
    assertThat(byName.get("kafka_streams_stream_thread_process_rate")).isInstanceOf(GaugeSnapshot.class);
  }

  @Test
  void shouldConvertKafkaTimeUnitsToSeconds() {
    Map<MetricName, Metric> m = new LinkedHashMap<>();
    put(m, "app-info", "start-time-ms", 1_700_000_000_000L, "client-id", "c");
    put(m, "stream-thread-metrics", "process-latency-avg", 2.5, "thread-id", "t");
    put(m, "consumer-metrics", "io-wait-time-ns-total", 3e9, "client-id", "c");
    put(m, "consumer-metrics", "connection-count", 4.0, "client-id", "c");
    PrometheusRegistry r = new PrometheusRegistry();
    r.register(new KafkaStreamsCollector(() -> m));
    assertThat(MetricValues.value(r, "kafka_streams_app_info_start_time_seconds", "client_id", "c")).isEqualTo(1.7e9);
    assertThat(MetricValues.value(r, "kafka_streams_stream_thread_process_latency_avg_seconds", "thread_id", "t")).isEqualTo(0.0025);
    assertThat(MetricValues.value(r, "kafka_streams_consumer_io_wait_time_seconds", "client_id", "c")).isEqualTo(3.0);
    assertThat(MetricValues.value(r, "kafka_streams_consumer_connection_count_value", "client_id", "c")).isEqualTo(4.0);
  }

  @Test
  void shouldRegisterAlongsideOwnMetricsWithoutNameClashes() {
    PrometheusRegistry r = new PrometheusRegistry();
    new TopologyMetrics(r);
    Map<MetricName, Metric> m = new LinkedHashMap<>();
    put(m, "stream-metrics", "alive-stream-threads", 1, "client-id", "c");
    r.register(new KafkaStreamsCollector(() -> m));
    assertThat(MetricValues.value(r, "kafka_streams_stream_alive_stream_threads", "client_id", "c")).isEqualTo(1.0);
  }
}
