package io.ctrstreams.cli.demo;

import static io.ctrstreams.broker.testing.TestConditions.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.cli.ExternalTool;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.Score;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole loop on the embedded broker (issue 6 §4): the trainer publishes snapshots, the
 * recompressor publishes compressed versions, the topology scores with them in order, and the
 * compressed model's online AUC stays within 0.005 of the shadow full model's on the labeled
 * stream. Runs {@link DemoRunner} (12 s snapshot interval, free ports) until the scores show two
 * compressed versions and enough labeled examples carry both pCTRs, then stops it: how long
 * that takes depends on the machine's load, so only a hang hits the deadline.
 */
@Tag("integration")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DemoRunnerIT {
  /** Two recompressions take ~50 s on an idle 2-core machine; this bounds a hang, not the pace. */
  private static final Duration DEADLINE = Duration.ofMinutes(6);
  private static final int MIN_PAIRED = 2000;
  private static final int MIN_STATUS_LINES = 5;

  @Test
  void shouldHotSwapRecompressedVersionsInOrderWithCompressedAucCloseToFull() throws Exception {
    DemoOptions o = new DemoOptions(0, 0, 200, null, Duration.ofSeconds(5), Duration.ofSeconds(12),
        3000, Duration.ofSeconds(10), 1000, "fixed", 2, 3.0, 42, false);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    List<Score> scores = new ArrayList<>();
    List<LabeledExample> labeled = new ArrayList<>();
    Consumer<String> readTopics = bs -> {
      try {
        BrokerTestSupport.readAll(bs, "scores").forEach(r -> scores.add(Schemas.SCORE.decode(r.value(), null)));
        BrokerTestSupport.readAll(bs, "labeled")
            .forEach(r -> labeled.add(Schemas.LABELED_EXAMPLE.decode(r.value(), null)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while reading the demo topics", e);
      }
    };
    DemoSummary s;
    try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      // snapshot refresh: the assertion below compares compression quality at equal freshness;
      // the delta path end to end is DeltaRefreshLoopIT's
      DemoRunner runner = new DemoRunner(o, out).deltas(false).beforeShutdown(readTopics);
      FutureTask<DemoSummary> run = new FutureTask<>(runner::run);
      new Thread(run, "demo-it-runner").start();
      try {
        // the banner comes once every service runs and the topics exist
        waitFor(() -> run.isDone() || text(buf).contains("ctr demo: embedded Kafka at"), DEADLINE, "demo started");
        PrometheusServer prometheus = startPrometheus(runner.metricsPort());
        try (Progress progress = new Progress(runner.bootstrapServers())) {
          waitFor(() -> run.isDone() || progress.poll() && statusLines(buf) >= MIN_STATUS_LINES, DEADLINE,
              () -> "two compressed versions serving and " + MIN_PAIRED + " labeled examples with both pCTRs, "
                  + MIN_STATUS_LINES + " status lines; got " + progress + ", " + statusLines(buf) + " status lines");
          if (prometheus != null) {
            checkDashboardAndRules(prometheus);
          }
          checkLivePageInABrowser(runner.metricsPort());
        } finally {
          if (prometheus != null) {
            prometheus.close();
          }
        }
      } finally {
        runner.stop();
      }
      s = run.get(2, TimeUnit.MINUTES); // rethrows why the demo stopped, should it have failed
    }
    String text = text(buf);
    System.out.println(text);

    assertThat(text).contains("ctr demo: embedded Kafka at localhost:").contains("/metrics");
    assertThat(statusLines(buf)).isGreaterThanOrEqualTo(MIN_STATUS_LINES);
    assertThat(s.snapshots()).as("full snapshots published").isGreaterThanOrEqualTo(2);
    assertThat(s.accepted()).as("compressed versions published").isGreaterThanOrEqualTo(2);
    assertThat(s.swaps()).as("live swaps").isGreaterThanOrEqualTo(2);
    assertThat(s.liveRatio()).isGreaterThan(2.0);
    assertThat(s.dlq()).isZero();

    // scored with the versions in publication order: the live version never goes back
    List<Long> versions = new ArrayList<>();
    long prev = -1;
    for (Score sc : scores) {
      if (!"live".equals(sc.getVariant())) {
        continue;
      }
      assertThat(sc.getModelVersion()).as("live version after v" + prev).isGreaterThanOrEqualTo(prev);
      if (sc.getModelVersion() != prev) {
        versions.add(sc.getModelVersion());
      }
      prev = sc.getModelVersion();
    }
    assertThat(versions).hasSizeGreaterThanOrEqualTo(2);

    // online AUC, exact, on the labeled examples both models scored
    int n = 0;
    float[] live = new float[labeled.size()];
    float[] full = new float[labeled.size()];
    float[] y = new float[labeled.size()];
    for (LabeledExample e : labeled) {
      if (e.getShadowPctr() != null) {
        live[n] = (float) e.getServedPctr();
        full[n] = (float) e.getShadowPctr().doubleValue();
        y[n++] = e.getLabel();
      }
    }
    assertThat(n).isGreaterThan(MIN_PAIRED);
    double aucLive = BinaryMetrics.auc(live, y, n);
    double aucFull = BinaryMetrics.auc(full, y, n);
    System.out.printf("online AUC on %d labeled examples: compressed %.4f, full %.4f%n", n, aucLive, aucFull);
    assertThat(aucLive).isGreaterThan(0.6);
    // compared per served (live, shadow) version pair: each compressed version carries its own
    // calibration map (refit by the recompressor), which moves its pCTRs against the other
    // versions', so a pooled AUC over several versions mixes calibration with ranking
    Map<String, List<LabeledExample>> byVersions = new java.util.TreeMap<>();
    for (LabeledExample e : labeled) {
      if (e.getShadowPctr() != null) {
        byVersions.computeIfAbsent(e.getModelVersion() + "/" + e.getShadowModelVersion(), k -> new ArrayList<>()).add(e);
      }
    }
    double weighted = 0;
    int counted = 0;
    for (Map.Entry<String, List<LabeledExample>> g : byVersions.entrySet()) {
      List<LabeledExample> es = g.getValue();
      float[] gl = new float[es.size()];
      float[] gf = new float[es.size()];
      float[] gy = new float[es.size()];
      int pos = 0;
      for (int i = 0; i < es.size(); i++) {
        gl[i] = (float) es.get(i).getServedPctr();
        gf[i] = (float) es.get(i).getShadowPctr().doubleValue();
        gy[i] = es.get(i).getLabel();
        pos += es.get(i).getLabel();
      }
      if (es.size() < 300 || pos == 0 || pos == es.size()) {
        continue; // too few (or one class) to give an AUC
      }
      double d = BinaryMetrics.auc(gl, gy, es.size()) - BinaryMetrics.auc(gf, gy, es.size());
      System.out.printf("  live/shadow v%s: %d examples, AUC compressed - full %+.4f%n", g.getKey(), es.size(), d);
      weighted += d * es.size();
      counted += es.size();
    }
    assertThat(counted).as("examples in version pairs with an AUC").isGreaterThan(MIN_PAIRED / 2);
    assertThat(Math.abs(weighted / counted)).as("mean per-version AUC difference").isLessThanOrEqualTo(0.005);
  }

  private static Path projectRoot() {
    Path root = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (root != null && !Files.isDirectory(root.resolve(".ci"))) {
      root = root.getParent();
    }
    return root;
  }

  /**
   * A real Prometheus scraping the demo's /metrics every second with the project's rules loaded;
   * null (the checks skipped) only where the binary is missing and CTR_REQUIRE_PROMTOOL is not set
   * (.ci/run installs the package and sets it).
   */
  private static PrometheusServer startPrometheus(int metricsPort) throws Exception {
    java.io.File binary = ExternalTool.find("CTR_REQUIRE_PROMTOOL", "prometheus");
    if (binary == null) {
      System.out.println("prometheus not installed: dashboard and rule queries not checked");
      return null;
    }
    Path dir = Files.createTempDirectory("ctr-demo-prometheus");
    return PrometheusServer.start(binary, dir, "127.0.0.1:" + metricsPort,
        List.of(projectRoot().resolve("monitoring/ctr-rules.yml")));
  }

  /**
   * Every query of the Grafana dashboard returns data from the live demo, the swap annotation
   * finds swaps over the run, every recording rule returns data and every rule evaluates healthy.
   */
  private static void checkDashboardAndRules(PrometheusServer prom) throws Exception {
    waitFor(prom::ready, Duration.ofSeconds(60), "prometheus ready");
    waitFor(() -> {
      try {
        return prom.query("ctr_recompression_gate_outcomes_total").at("/data/result").size() > 0
            && prom.query("rate(ctr_impressions_scored_total[1m]) > 0").at("/data/result").size() > 0;
      } catch (Exception e) {
        return false;
      }
    }, Duration.ofSeconds(120), "prometheus has scraped the demo");
    com.fasterxml.jackson.databind.JsonNode dash = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(projectRoot().resolve("monitoring/grafana/ctr-streams.json").toFile());
    List<String> failures = new ArrayList<>();
    int queries = 0;
    for (com.fasterxml.jackson.databind.JsonNode panel : dash.path("panels")) {
      for (com.fasterxml.jackson.databind.JsonNode t : panel.path("targets")) {
        String expr = t.path("expr").asText();
        com.fasterxml.jackson.databind.JsonNode r = prom.query(expr);
        queries++;
        if (!"success".equals(r.path("status").asText()) || r.at("/data/result").size() == 0) {
          failures.add(panel.path("title").asText() + ": " + expr + " -> " + r);
        }
      }
    }
    for (com.fasterxml.jackson.databind.JsonNode a : dash.at("/annotations/list")) {
      // the demo swaps every few seconds; a swap seen by the scores topic may be a scrape ahead of prometheus
      String expr = a.path("expr").asText();
      waitFor(() -> {
        try {
          return prom.queryRange(expr, 900).at("/data/result").size() > 0;
        } catch (Exception e) {
          return false;
        }
      }, Duration.ofSeconds(120), "annotation " + a.path("name").asText() + " finds a swap: " + expr);
    }
    waitFor(() -> {
      try {
        for (com.fasterxml.jackson.databind.JsonNode g : prom.rules().at("/data/groups")) {
          for (com.fasterxml.jackson.databind.JsonNode rule : g.path("rules")) {
            if (!"ok".equals(rule.path("health").asText())) {
              return false;
            }
          }
        }
        return true;
      } catch (Exception e) {
        return false;
      }
    }, Duration.ofSeconds(60), () -> {
      try {
        return "every rule evaluated healthy: " + prom.rules();
      } catch (Exception e) {
        return e.toString();
      }
    });
    int rules = 0;
    for (com.fasterxml.jackson.databind.JsonNode g : prom.rules().at("/data/groups")) {
      for (com.fasterxml.jackson.databind.JsonNode rule : g.path("rules")) {
        rules++;
        if ("recording".equals(rule.path("type").asText())
            && prom.query(rule.path("name").asText()).at("/data/result").size() == 0) {
          failures.add("recording rule " + rule.path("name").asText() + " has no data");
        }
      }
    }
    assertThat(rules).as("rules loaded by prometheus").isEqualTo(16); // monitoring/ctr-rules.yml: 3 recording rules, 13 alerts
    assertThat(failures).as("dashboard and rule queries against the live demo (log: " + prom.log().length()
        + " chars)").isEmpty();
    System.out.printf("prometheus: %d dashboard queries and %d rules checked against the live demo%n", queries, rules);
  }

  /**
   * The live page ({@code /} on the metrics port) rendered by a real headless Chromium: its charts
   * draw data points from /api/live. Skipped only where Chromium is missing and
   * CTR_REQUIRE_CHROMIUM is not set (.ci/run installs it and sets it).
   */
  private static void checkLivePageInABrowser(int port) throws Exception {
    java.io.File chromium = ExternalTool.find("CTR_REQUIRE_CHROMIUM", "chromium", "chromium-browser", "google-chrome");
    if (chromium == null) {
      System.out.println("chromium not installed: the live page was not checked in a browser");
      return;
    }
    Path profile = Files.createTempDirectory("ctr-chromium");
    // the page samples once a second: wait until it has points to draw
    waitFor(() -> {
      try {
        String json = new String(java.net.URI.create("http://127.0.0.1:" + port + "/api/live").toURL().openStream()
            .readAllBytes(), StandardCharsets.UTF_8);
        return json.contains("\"t\":[") && json.split(",").length > 20;
      } catch (Exception e) {
        return false;
      }
    }, Duration.ofSeconds(60), "/api/live has points");
    Process p = new ProcessBuilder(chromium.getPath(), "--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--virtual-time-budget=10000", "--dump-dom",
        "http://127.0.0.1:" + port + "/").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("chromium finished").isTrue();
    assertThat(dom).as("the page rendered by chromium").contains("live model v");
    for (String series : new String[] {"aucLive", "aucShadow", "impressionsPerSecond", "p99Ms", "version"}) {
      java.util.regex.Matcher m = java.util.regex.Pattern
          .compile("data-series=\"" + series + "\"[^>]*data-points=\"(\\d+)\"").matcher(dom);
      assertThat(m.find()).as("chart series " + series + " in the rendered page").isTrue();
      assertThat(Integer.parseInt(m.group(1))).as("points drawn for " + series).isGreaterThanOrEqualTo(2);
    }
    System.out.println("live page: rendered by " + chromium + " with every chart drawing data");
  }

  private static String text(ByteArrayOutputStream buf) {
    return buf.toString(StandardCharsets.UTF_8);
  }

  private static long statusLines(ByteArrayOutputStream buf) {
    return text(buf).lines().filter(l -> l.matches("^\\[ *\\d+s\\] imp/s .*")).count();
  }

  /** Follows the scores and labeled topics while the demo runs: what the wait waits for. */
  private static final class Progress implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Set<Long> liveVersions = new HashSet<>();
    private long paired;

    Progress(String bootstrap) {
      Map<String, Object> c = BrokerTestSupport.consumerConfig(bootstrap, BrokerTestSupport.uniqueName("demo-it"));
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      consumer = new KafkaConsumer<>(c);
      List<TopicPartition> tps = List.of(new TopicPartition("scores", 0), new TopicPartition("labeled", 0));
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
    }

    /** Reads what arrived; whether two live versions served and enough examples have both pCTRs. */
    boolean poll() {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        if (r.topic().equals("scores")) {
          Score sc = Schemas.SCORE.decode(r.value(), null);
          if ("live".equals(sc.getVariant())) {
            liveVersions.add(sc.getModelVersion());
          }
        } else if (Schemas.LABELED_EXAMPLE.decode(r.value(), null).getShadowPctr() != null) {
          paired++;
        }
      }
      return liveVersions.size() >= 2 && paired > MIN_PAIRED;
    }

    @Override
    public String toString() {
      return "live versions " + liveVersions + ", " + paired + " labeled with both pCTRs";
    }

    @Override
    public void close() {
      consumer.close();
    }
  }
}
