package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The exposition must satisfy Prometheus' rules: counters end in _total, units are base units
 * (seconds, bytes) spelled in the name, one HELP and one TYPE per family, and it must pass
 * {@code promtool check metrics} when promtool is installed.
 */
class MetricsNamingTest {
  private static final Pattern TYPE = Pattern.compile("^# TYPE (\\S+) (\\S+)$");
  private static final Pattern HELP = Pattern.compile("^# HELP (\\S+) .*$");
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*\\})? \\S+.*$");

  /** A registry with every kind of metric the service exports, each with data. */
  static PrometheusRegistry fullRegistry() {
    PrometheusRegistry r = new PrometheusRegistry();
    TopologyMetrics m = new TopologyMetrics(r);
    m.impressionScored(3, 120_000, 15);
    m.shadowScored(3, 0.2);
    m.deadLetter("impressions", "bad_json");
    m.labeled(1);
    m.labeled(0);
    m.clickDropped("late");
    Map<MetricName, Metric> kafka = new LinkedHashMap<>();
    addKafka(kafka, "stream-thread-metrics", "process-total", 10.0, "thread-id", "t-1");
    addKafka(kafka, "stream-thread-metrics", "process-latency-avg", 0.5, "thread-id", "t-1");
    addKafka(kafka, "stream-task-metrics", "dropped-records-total", 0.0, "thread-id", "t-1", "task-id", "0_0");
    addKafka(kafka, "consumer-fetch-manager-metrics", "records-lag-max", 0.0, "client-id", "c");
    addKafka(kafka, "app-info", "commit-id", "abc", "client-id", "c");
    r.register(new KafkaStreamsCollector(() -> kafka));
    OnlineMetrics online = new OnlineMetrics(60_000);
    online.onLabel(io.ctrstreams.schemas.LabeledExample.newBuilder()
        .setEventId("e").setAdId("a").setContext(new HashMap<>()).setFeatures(new HashMap<>())
        .setLabel(1).setServedPctr(0.2).setShadowPctr(0.25).setModelName("ctr").setModelVersion(3L)
        .setShadowModelVersion(9L).setImpressionTimestampMs(1L).setClickTimestampMs(2L).setLabeledAtMs(2L)
        .build());
    r.register(online);
    JvmMetrics.builder().register(r);
    return r;
  }

  private static void addKafka(Map<MetricName, Metric> m, String group, String name, Object value, String... tags) {
    Map<String, String> t = new HashMap<>();
    for (int i = 0; i < tags.length; i += 2) {
      t.put(tags[i], tags[i + 1]);
    }
    MetricName mn = new MetricName(name, group, "", t);
    m.put(mn, KafkaStreamsCollectorTest.metric(mn, () -> value));
  }

  static String render(PrometheusRegistry r) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, r.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Asserts the naming rules on an exposition; returns family name -> type. */
  static Map<String, String> assertNamingRules(String text) {
    Map<String, String> types = new HashMap<>();
    Set<String> helps = new HashSet<>();
    for (String line : text.split("\n")) {
      Matcher t = TYPE.matcher(line);
      if (t.matches()) {
        assertThat(types.put(t.group(1), t.group(2))).as("duplicate TYPE for " + t.group(1)).isNull();
        if (t.group(2).equals("counter")) {
          assertThat(t.group(1)).as("counter name").endsWith("_total");
        }
        continue;
      }
      Matcher h = HELP.matcher(line);
      if (h.matches()) {
        assertThat(helps.add(h.group(1))).as("duplicate HELP for " + h.group(1)).isTrue();
        continue;
      }
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher s = SAMPLE.matcher(line);
      assertThat(s.matches()).as("sample line: " + line).isTrue();
      String name = s.group(1);
      assertThat(name).doesNotContain("_milliseconds").doesNotContain("_ms_").doesNotEndWith("_ms")
          .doesNotContain("_kilobytes").doesNotContain("_minutes");
    }
    return types;
  }

  /** promtool's findings on an exposition, or null when promtool is not installed. */
  static String promtoolFindings(String text) throws Exception {
    File promtool = findOnPath("promtool");
    if (promtool == null) {
      // .ci/run installs promtool and sets this: there a missing promtool fails instead of skipping
      assertThat(System.getenv("CTR_REQUIRE_PROMTOOL")).as(NO_PROMTOOL + ", and CTR_REQUIRE_PROMTOOL is set").isNull();
      return null;
    }
    Process p = new ProcessBuilder(promtool.getPath(), "check", "metrics").redirectErrorStream(true).start();
    try (OutputStream os = p.getOutputStream()) {
      os.write(text.getBytes(StandardCharsets.UTF_8));
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return p.exitValue() == 0 ? output : "exit " + p.exitValue() + ": " + output;
  }

  static final String NO_PROMTOOL =
      "promtool not installed: skipping (Debian: apt-get install prometheus ships /usr/bin/promtool)";

  @Test
  void shouldFollowPrometheusNamingRules() throws IOException {
    Map<String, String> types = assertNamingRules(render(fullRegistry()));
    for (String ours : new String[] {"ctr_impressions_scored_total", "ctr_candidates_scored_total",
        "ctr_scoring_latency_seconds", "ctr_event_time_lag_seconds", "ctr_dlq_records_total",
        "ctr_labels_total", "kafka_streams_stream_thread_process_total", "ctr_online_auc",
        "ctr_online_logloss", "ctr_online_calibration", "ctr_online_examples"}) {
      assertThat(types).as("exported families").containsKey(ours);
    }
    assertThat(types.get("ctr_scoring_latency_seconds")).isEqualTo("histogram");
    assertThat(types.get("kafka_streams_stream_thread_process_total")).isEqualTo("counter");
    assertThat(types.get("kafka_streams_stream_thread_process_latency_avg_seconds")).isEqualTo("gauge");
    assertThat(types).doesNotContainKey("kafka_streams_app_info_commit_id");
  }

  @Test
  void shouldPassPromtoolCheckMetrics() throws Exception {
    String findings = promtoolFindings(render(fullRegistry()));
    Assumptions.assumeTrue(findings != null, NO_PROMTOOL);
    assertThat(findings).as("promtool findings").isEmpty();
  }

  @Test
  void shouldServeMetricsAndHealthFromStreamsState() throws Exception {
    AtomicReference<KafkaStreams.State> state = new AtomicReference<>(KafkaStreams.State.CREATED);
    try (MetricsServer server = MetricsServer.start(0, fullRegistry(), state::get)) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://localhost:" + server.port();
      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("ctr_impressions_scored_total 1.0");
      assertThat(status(http, base + "/health/live")).isEqualTo(200);
      assertThat(status(http, base + "/health/ready")).isEqualTo(503);
      state.set(KafkaStreams.State.RUNNING);
      assertThat(status(http, base + "/health/ready")).isEqualTo(200);
      state.set(KafkaStreams.State.REBALANCING);
      assertThat(status(http, base + "/health/live")).isEqualTo(200);
      assertThat(status(http, base + "/health/ready")).isEqualTo(503);
      state.set(KafkaStreams.State.ERROR);
      assertThat(status(http, base + "/health/live")).isEqualTo(503);
      assertThat(status(http, base + "/nope")).isEqualTo(404);
    }
  }

  private static int status(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  static File findOnPath(String exe) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      File f = new File(dir, exe);
      if (f.canExecute()) {
        return f;
      }
    }
    return null;
  }
}
