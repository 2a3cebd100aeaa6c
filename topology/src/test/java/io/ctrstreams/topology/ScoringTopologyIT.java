package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.broker.testing.TestConditions;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.Score;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.RejectReason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The topology against a real embedded KRaft broker under exactly-once (issue 5 §10). */
@Tag("integration")
@Timeout(180)
class ScoringTopologyIT {
  private static final long SEED = 5L;
  private static EmbeddedKafkaBroker broker;

  @TempDir Path stateDir;

  @BeforeAll
  static void startBroker() {
    broker = BrokerTestSupport.startBroker();
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  /** Unique topics and application id for one test. */
  private Map<String, Object> config(String prefix) {
    String p = BrokerTestSupport.uniqueName(prefix);
    Map<String, Object> c = new HashMap<>();
    c.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    c.put(TopologyConfig.APPLICATION_ID_CONFIG, p + "-app");
    for (String t : new String[] {TopologyConfig.IMPRESSIONS_TOPIC_CONFIG, TopologyConfig.CLICKS_TOPIC_CONFIG,
        TopologyConfig.SCORES_TOPIC_CONFIG, TopologyConfig.LABELED_TOPIC_CONFIG, TopologyConfig.MODELS_TOPIC_CONFIG,
        TopologyConfig.DLQ_TOPIC_CONFIG}) {
      c.put(t, p + "-" + t.substring("topic.".length()));
    }
    c.put(TopologyConfig.METRICS_ENABLED_CONFIG, "false");
    c.put(TopologyConfig.MODEL_WAIT_MS_CONFIG, "5000");
    c.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    c.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    // the broker's minimum: a crashed member is evicted quickly so the restart gets its tasks
    c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
    c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
    c.put(TopologyConfig.TOPICS_PARTITIONS_CONFIG, "2");
    return c;
  }

  private static void createTopics(TopologyConfig c) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      KafkaTopics.ensure(admin, List.of(
          KafkaTopics.plain(c.impressionsTopic(), 2), KafkaTopics.plain(c.clicksTopic(), 2),
          KafkaTopics.plain(c.scoresTopic(), 2), KafkaTopics.plain(c.labeledTopic(), 2),
          KafkaTopics.plain(c.dlqTopic(), 1), KafkaTopics.compacted(c.modelsTopic(), 1)));
    }
  }

  private static ModelPublisher publisher(TopologyConfig c) {
    return new ModelPublisher(Map.of("bootstrap.servers", broker.bootstrapServers()), c.modelsTopic(), 64 * 1024);
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(BrokerTestSupport.producerConfig(broker.bootstrapServers()));
  }

  private static void send(KafkaProducer<byte[], byte[]> p, String topic, Impression imp) {
    p.send(new ProducerRecord<>(topic, imp.getEventId().getBytes(StandardCharsets.UTF_8), Schemas.IMPRESSION.encode(imp)));
  }

  /** A read_committed consumer that accumulates every committed score. */
  private static final class ScoreReader implements AutoCloseable {
    final KafkaConsumer<byte[], byte[]> consumer;
    final List<Score> scores = new ArrayList<>();
    final List<Integer> partitions = new ArrayList<>();

    ScoreReader(String topic) {
      Map<String, Object> cc = BrokerTestSupport.consumerConfig(broker.bootstrapServers(), BrokerTestSupport.uniqueName("reader"));
      cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      consumer = new KafkaConsumer<>(cc);
      List<TopicPartition> tps = new ArrayList<>();
      consumer.partitionsFor(topic).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
    }

    /** Reads scores until {@code done}; fails after {@code timeout}. */
    void pollUntil(BooleanSupplier done, Duration timeout) throws InterruptedException {
      TestConditions.waitFor(() -> {
        poll();
        return done.getAsBoolean();
      }, timeout, "scores read: " + scores.size());
    }

    /** Reads every score committed so far: up to the last stable offset of every partition. */
    void readToEnd() throws InterruptedException {
      for (ConsumerRecord<byte[], byte[]> r : BrokerTestSupport.readToEnd(consumer)) {
        add(r);
      }
    }

    private void poll() {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        add(r);
      }
    }

    private void add(ConsumerRecord<byte[], byte[]> r) {
      scores.add(Schemas.SCORE.decode(r.value(), null));
      partitions.add(r.partition());
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  @Test
  void shouldSwitchToV2MidStreamScoreEveryEventOnceAndRejectCorruptV3() throws Exception {
    TopologyConfig c = new TopologyConfig(config("swap"));
    createTopics(c);
    int events = 3000;
    int candidates = 2;
    Random rnd = new Random(SEED);
    try (ModelPublisher pub = publisher(c);
        KafkaProducer<byte[], byte[]> prod = producer();
        ScoreReader reader = new ScoreReader(c.scoresTopic())) {
      CtrModel v1 = TestModels.model(c.modelName(), 1, 11);
      pub.publish(c.modelName(), 1, TestModels.ctrm(v1), Map.of());
      try (TopologyApp app = TopologyApp.start(c)) {
        assertThat(app.awaitRunning(Duration.ofSeconds(60))).as("app RUNNING").isTrue();
        Set<String> sent = new HashSet<>();
        int half = events / 2;
        for (int i = 0; i < half; i++) {
          Impression imp = TestModels.impression("e" + i, System.currentTimeMillis(), candidates, rnd);
          send(prod, c.impressionsTopic(), imp);
          sent.add(imp.getEventId());
        }
        prod.flush();
        reader.pollUntil(() -> reader.scores.size() >= half * candidates, Duration.ofSeconds(60));
        assertThat(reader.scores).as("first half served by v1").hasSize(half * candidates)
            .extracting(Score::getModelVersion).containsOnly(1L);
        // second half: v2 is published once 200 of these events have been scored, while the
        // rest are still being sent and scored
        boolean published = false;
        // on a slow machine the app may lag: keep events flowing (up to 4x) until v2 is out
        int n = half;
        while (n < events || (!published && n < 4 * events)) {
          Impression imp = TestModels.impression("e" + n, System.currentTimeMillis(), candidates, rnd);
          send(prod, c.impressionsTopic(), imp);
          sent.add(imp.getEventId());
          if (n++ % 20 == 0) {
            prod.flush();
            reader.poll();
            if (!published && reader.scores.size() >= (half + 200) * candidates) {
              pub.publish(c.modelName(), 2, TestModels.ctrm(TestModels.model(c.modelName(), 2, 22)), Map.of());
              published = true;
            }
          }
        }
        assertThat(published).as("v2 published while events were flowing").isTrue();
        int total = sent.size();
        prod.flush();
        reader.pollUntil(() -> reader.scores.size() >= total * candidates, Duration.ofSeconds(90));

        // per output partition the version never goes back once v2 is seen
        Map<Integer, Long> lastVersion = new HashMap<>();
        for (int i = 0; i < reader.scores.size(); i++) {
          long v = reader.scores.get(i).getModelVersion();
          Long prev = lastVersion.put(reader.partitions.get(i), v);
          assertThat(prev == null || prev <= v).as("version monotonic per partition at score " + i).isTrue();
        }
        Map<String, Integer> perEvent = new HashMap<>();
        for (Score s : reader.scores) {
          perEvent.merge(s.getEventId(), 1, Integer::sum);
        }
        assertThat(perEvent.keySet()).as("scored event ids == sent").isEqualTo(sent);
        assertThat(perEvent.values()).as("each event scored exactly once").containsOnly(candidates);
        Set<Long> versions = new HashSet<>();
        reader.scores.forEach(s -> versions.add(s.getModelVersion()));
        assertThat(versions).containsExactlyInAnyOrder(1L, 2L);
        System.out.printf("swap IT: %d scores, v1=%d v2=%d%n", reader.scores.size(),
            reader.scores.stream().filter(s -> s.getModelVersion() == 1L).count(),
            reader.scores.stream().filter(s -> s.getModelVersion() == 2L).count());
        assertThat(app.live().current().version()).isEqualTo(2L);

        // corrupt v3: bytes that pass the checksum but are no model -> rejected, v2 keeps serving
        byte[] garbage = new byte[100_000];
        new Random(SEED).nextBytes(garbage);
        pub.publish(c.modelName(), 3, garbage, Map.of(), true);
        TestConditions.waitFor(() -> app.live().rejectCount(RejectReason.DECODE_FAILED) > 0, "corrupt v3 rejected");
        assertThat(app.live().rejectCount(RejectReason.DECODE_FAILED)).isEqualTo(1);
        int before = reader.scores.size();
        for (int i = 0; i < 50; i++) {
          send(prod, c.impressionsTopic(), TestModels.impression("after-v3-" + i, System.currentTimeMillis(), 1, rnd));
        }
        prod.flush();
        reader.pollUntil(() -> reader.scores.size() >= before + 50, Duration.ofSeconds(30));
        assertThat(reader.scores.subList(before, reader.scores.size()))
            .hasSize(50).extracting(Score::getModelVersion).containsOnly(2L);
      }
    }
  }

  @Test
  void shouldServeOnlyTheExpectedInputsAlsoOnAFreshStartAndServeTheCheckpointWithoutTheTopic() throws Exception {
    Map<String, Object> m = config("expect");
    TopologyConfig c = new TopologyConfig(m);
    createTopics(c);
    Random rnd = new Random(SEED + 3);
    CtrModel other = TestModels.otherInputsModel(c.modelName(), 2, 22);
    try (ModelPublisher pub = publisher(c); KafkaProducer<byte[], byte[]> prod = producer();
        ScoreReader reader = new ScoreReader(c.scoresTopic())) {
      pub.publish(c.modelName(), 1, TestModels.ctrm(TestModels.model(c.modelName(), 1, 11)), Map.of());
      pub.publish(c.modelName(), 2, TestModels.ctrm(other), Map.of(), true);
      // fresh: nothing configured, no checkpoint; v1 is the first served, so v2 is rejected
      try (TopologyApp app = TopologyApp.start(c)) {
        assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
        TestConditions.waitFor(() -> app.live().rejectCount(RejectReason.SPEC_INCOMPATIBLE) == 1, "v2 rejected");
        assertThat(app.live().current().version()).isEqualTo(1);
        for (int i = 0; i < 20; i++) {
          send(prod, c.impressionsTopic(), TestModels.impression("x" + i, System.currentTimeMillis(), 1, rnd));
        }
        prod.flush();
        reader.pollUntil(() -> reader.scores.size() >= 20, Duration.ofSeconds(60));
        assertThat(reader.scores).hasSize(20).extracting(Score::getModelVersion).containsOnly(1L);
      }
      // restarted on an empty models topic: it serves v1 from its checkpoint alone
      Map<String, Object> empty = new HashMap<>(m);
      empty.put(TopologyConfig.MODELS_TOPIC_CONFIG, BrokerTestSupport.uniqueName("empty-models"));
      TopologyConfig restart = new TopologyConfig(empty);
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
        KafkaTopics.ensure(admin, List.of(KafkaTopics.compacted(restart.modelsTopic(), 1)));
      }
      try (TopologyApp app = TopologyApp.start(restart)) {
        assertThat(app.live().current().version()).as("served before the stream threads start").isEqualTo(1);
        assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
        for (int i = 0; i < 20; i++) {
          send(prod, c.impressionsTopic(), TestModels.impression("y" + i, System.currentTimeMillis(), 1, rnd));
        }
        prod.flush();
        reader.pollUntil(() -> reader.scores.size() >= 40, Duration.ofSeconds(60));
        assertThat(reader.scores.subList(20, 40)).extracting(Score::getModelVersion).containsOnly(1L);
      }
    }
    // another application configured for the other inputs: v2 is served, v1 rejected
    Path spec = stateDir.resolve("other-spec.json");
    java.nio.file.Files.writeString(spec, other.spec().toJson());
    Map<String, Object> o = config("expect-other");
    o.put(TopologyConfig.MODELS_TOPIC_CONFIG, c.modelsTopic());
    o.put(TopologyConfig.MODEL_EXPECTED_SPEC_CONFIG, spec.toString());
    TopologyConfig oc = new TopologyConfig(o);
    createTopics(oc);
    try (TopologyApp app = TopologyApp.start(oc)) {
      TestConditions.waitFor(() -> app.live().current() != null && app.live().current().version() == 2, "v2 served");
      assertThat(app.live().rejectCount(RejectReason.SPEC_INCOMPATIBLE)).isEqualTo(1);
    }
  }

  @Test
  void everyInstanceShouldGetItsShareOfEachSubTopologysTasks() throws Exception {
    Map<String, Object> m = config("balanced");
    TopologyConfig c0 = new TopologyConfig(m);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      KafkaTopics.ensure(admin, List.of(
          KafkaTopics.plain(c0.impressionsTopic(), 4), KafkaTopics.plain(c0.clicksTopic(), 4),
          KafkaTopics.plain(c0.scoresTopic(), 4), KafkaTopics.plain(c0.labeledTopic(), 4),
          KafkaTopics.plain(c0.dlqTopic(), 1), KafkaTopics.compacted(c0.modelsTopic(), 1)));
    }
    Random rnd = new Random(SEED + 9);
    List<TopologyApp> apps = new ArrayList<>();
    try (ModelPublisher pub = publisher(c0); KafkaProducer<byte[], byte[]> prod = producer()) {
      pub.publish(c0.modelName(), 1, TestModels.ctrm(TestModels.model(c0.modelName(), 1, 11)), Map.of());
      // one after the other, as in a rolling start: each new instance joins a group whose tasks
      // all have owners (a stickiness-first assignor leaves the first instance with most of them)
      for (String id : new String[] {"a", "b", "c"}) {
        Map<String, Object> mi = new HashMap<>(m);
        mi.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("balanced-" + id).toString());
        apps.add(TopologyApp.start(new TopologyConfig(mi)));
        TestConditions.waitFor(() -> apps.stream().allMatch(a -> a.streams().state() == KafkaStreams.State.RUNNING
            && !a.streams().metadataForLocalThreads().iterator().next().activeTasks().isEmpty()),
            Duration.ofSeconds(120), "instance " + id + " running with tasks");
      }
      // 4 scoring tasks and 4 label-join tasks over 3 instances: each instance 1 or 2 of each
      java.util.function.Supplier<List<Map<Integer, Integer>>> perSubtopology = () -> {
        List<Map<Integer, Integer>> out = new ArrayList<>();
        for (TopologyApp app : apps) {
          Map<Integer, Integer> n = new java.util.TreeMap<>();
          app.streams().metadataForLocalThreads().forEach(t -> t.activeTasks()
              .forEach(task -> n.merge(task.taskId().subtopology(), 1, Integer::sum)));
          out.add(n);
        }
        return out;
      };
      TestConditions.waitFor(() -> {
        if (!apps.stream().allMatch(a -> a.streams().state() == KafkaStreams.State.RUNNING)) {
          return false;
        }
        List<Map<Integer, Integer>> n = perSubtopology.get();
        java.util.Set<Integer> subs = new java.util.TreeSet<>();
        n.forEach(x -> subs.addAll(x.keySet()));
        int total = n.stream().mapToInt(x -> x.values().stream().mapToInt(Integer::intValue).sum()).sum();
        return subs.size() == 2 && total == 8;
      }, Duration.ofSeconds(120), () -> "three instances running with all 8 tasks assigned: " + perSubtopology.get());
      List<Map<Integer, Integer>> n = perSubtopology.get();
      java.util.Set<Integer> subs = new java.util.TreeSet<>();
      n.forEach(x -> subs.addAll(x.keySet()));
      for (int sub : subs) {
        for (Map<Integer, Integer> inst : n) {
          assertThat(inst.getOrDefault(sub, 0)).as("sub-topology %d tasks per instance: %s", sub, n).isBetween(1, 2);
        }
      }
      // and every instance scores
      for (int i = 0; i < 80; i++) {
        send(prod, c0.impressionsTopic(), TestModels.impression("bal-" + i, System.currentTimeMillis(), 1, rnd));
      }
      prod.flush();
      TestConditions.waitFor(() -> apps.stream().mapToDouble(a -> MetricValues.value(a.registry(),
          "ctr_impressions_scored")).sum() >= 80, Duration.ofSeconds(90), "80 impressions scored");
      for (TopologyApp app : apps) {
        assertThat(MetricValues.value(app.registry(), "ctr_impressions_scored")).as("scored by each instance").isPositive();
      }
    } finally {
      apps.forEach(TopologyApp::close);
    }
  }

  @Test
  void survivorsShouldReportThePartitionsOfAnInstanceThatVanishedUntilTheGroupReassignsThem() throws Exception {
    Map<String, Object> m = config("stall");
    m.put(TopologyConfig.HEALTH_PROGRESS_INTERVAL_MS_CONFIG, "300");
    m.put(TopologyConfig.HEALTH_STALL_THRESHOLD_MS_CONFIG, "1500");
    m.put(TopologyConfig.METRICS_ENABLED_CONFIG, "true");
    m.put(TopologyConfig.METRICS_PORT_CONFIG, "0");
    // static members: a closed instance stays in the group, like a killed one, until the session times out
    m.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "15000");
    Map<String, Object> ma = new HashMap<>(m);
    ma.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "a");
    ma.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("a").toString());
    Map<String, Object> mb = new HashMap<>(m);
    mb.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "b");
    mb.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("b").toString());
    TopologyConfig ca = new TopologyConfig(ma);
    createTopics(ca);
    Random rnd = new Random(SEED + 4);
    try (ModelPublisher pub = publisher(ca); KafkaProducer<byte[], byte[]> prod = producer();
        ScoreReader reader = new ScoreReader(ca.scoresTopic())) {
      pub.publish(ca.modelName(), 1, TestModels.ctrm(TestModels.model(ca.modelName(), 1, 11)), Map.of());
      TopologyApp a = TopologyApp.start(ca);
      try (TopologyApp b = TopologyApp.start(new TopologyConfig(mb))) {
        TestConditions.waitFor(() -> a.streams().state() == KafkaStreams.State.RUNNING
            && b.streams().state() == KafkaStreams.State.RUNNING
            && !a.streams().metadataForLocalThreads().iterator().next().activeTasks().isEmpty()
            && !b.streams().metadataForLocalThreads().iterator().next().activeTasks().isEmpty(),
            Duration.ofSeconds(90), "both instances own tasks");
        a.close(); // remains in the group: its partitions have no live owner until the session times out
        String[] body = {""};
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.URI ready = java.net.URI.create("http://localhost:" + b.metricsPort() + "/health/ready");
        int[] sent = {0};
        // keep input arriving (the lag must grow) until b's readiness body lists a stalled partition
        TestConditions.waitFor(() -> {
          for (int i = 0; i < 5; i++) {
            send(prod, ca.impressionsTopic(), TestModels.impression("s" + sent[0]++, System.currentTimeMillis(), 1, rnd));
          }
          prod.flush();
          try {
            body[0] = http.send(java.net.http.HttpRequest.newBuilder(ready).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
          } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException("GET " + ready + " failed", e);
          }
          return body[0].contains("stalled=");
        }, Duration.ofSeconds(60), () -> "b's /health/ready lists a stalled partition; last body: " + body[0]);
        assertThat(body[0]).as("b's readiness detail while a's partitions wait").contains("stalled=" + ca.impressionsTopic() + "-");
        assertThat(MetricValues.value(b.registry(), "ctr_input_partitions_stalled")).isGreaterThanOrEqualTo(1.0);
        // once the group evicts a, b takes its partitions over: every event is scored and the stall clears
        int total = sent[0];
        reader.pollUntil(() -> reader.scores.size() >= total, Duration.ofSeconds(90));
        TestConditions.waitFor(() -> MetricValues.value(b.registry(), "ctr_input_partitions_stalled") == 0,
            Duration.ofSeconds(60), "stall cleared");
        String after = http.send(java.net.http.HttpRequest.newBuilder(ready).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(after).as("b's readiness detail once a's partitions are b's").doesNotContain("stalled=");
      }
    }
  }

  @Test
  void shouldServePromtoolCleanMetricsAndHealthFromARunningApp() throws Exception {
    Map<String, Object> m = config("metrics");
    m.put(TopologyConfig.METRICS_ENABLED_CONFIG, "true");
    m.put(TopologyConfig.METRICS_PORT_CONFIG, "0");
    m.put(TopologyConfig.SHADOW_MODEL_NAME_CONFIG, "full");
    TopologyConfig c = new TopologyConfig(m);
    createTopics(c);
    Random rnd = new Random(SEED + 2);
    try (ModelPublisher pub = publisher(c); KafkaProducer<byte[], byte[]> prod = producer();
        ScoreReader reader = new ScoreReader(c.scoresTopic())) {
      pub.publish(c.modelName(), 1, TestModels.ctrm(TestModels.model(c.modelName(), 1, 11)), Map.of("compression-ratio", "3.0"));
      pub.publish("full", 1, TestModels.ctrm(TestModels.model("full", 1, 99)), Map.of());
      try (TopologyApp app = TopologyApp.start(c)) {
        assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
        for (int i = 0; i < 100; i++) {
          send(prod, c.impressionsTopic(), TestModels.impression("m" + i, System.currentTimeMillis(), 3, rnd));
        }
        prod.send(new ProducerRecord<>(c.impressionsTopic(), null, "garbage".getBytes(StandardCharsets.UTF_8)));
        prod.flush();
        reader.pollUntil(() -> reader.scores.size() >= 600, Duration.ofSeconds(60));
        assertThat(reader.scores).hasSize(600);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String base = "http://localhost:" + app.metricsPort();
        String text = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/metrics")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        Map<String, String> types = MetricsNamingTest.assertNamingRules(text);
        assertThat(types).containsKeys("ctr_impressions_scored_total", "ctr_model_version",
            "ctr_model_swaps_rejected_total", "jvm_memory_used_bytes");
        assertThat(types.keySet()).anyMatch(n -> n.startsWith("kafka_streams_stream_thread_"));
        assertThat(text).contains("ctr_candidates_scored_total{variant=\"shadow\"} 300.0");
        assertThat(text).contains("ctr_dlq_records_total{reason=\"bad_avro\",topic=\"" + c.impressionsTopic() + "\"} 1.0");
        int ready = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/health/ready")).build(),
            java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        assertThat(ready).isEqualTo(200);
        String findings = MetricsNamingTest.promtoolFindings(text);
        if (findings == null) {
          System.out.println(MetricsNamingTest.NO_PROMTOOL);
        } else {
          assertThat(findings).as("promtool findings on a live scrape").isEmpty();
        }
      }
    }
  }

  @Test
  void shouldScoreEachEventExactlyOnceAcrossACrashAndRestart() throws Exception {
    TopologyConfig c = new TopologyConfig(config("crash"));
    createTopics(c);
    int events = 2000;
    Random rnd = new Random(SEED + 1);
    try (ModelPublisher pub = publisher(c);
        KafkaProducer<byte[], byte[]> prod = producer();
        ScoreReader reader = new ScoreReader(c.scoresTopic())) {
      pub.publish(c.modelName(), 1, TestModels.ctrm(TestModels.model(c.modelName(), 1, 11)), Map.of());
      Set<String> sent = new HashSet<>();
      for (int i = 0; i < events; i++) {
        Impression imp = TestModels.impression("c" + i, System.currentTimeMillis(), 1, rnd);
        send(prod, c.impressionsTopic(), imp);
        sent.add(imp.getEventId());
      }
      prod.flush();
      // the first instance crashes mid-stream: its clock throws on the 700th scored record,
      // inside an open transaction, which must be aborted and redone by the restarted instance
      AtomicLong calls = new AtomicLong();
      LongSupplier crashingClock = () -> {
        if (calls.incrementAndGet() == 700) {
          throw new IllegalStateException("injected crash on the 700th record");
        }
        return System.currentTimeMillis();
      };
      TopologyApp first = TopologyApp.start(c, crashingClock);
      TestConditions.waitFor(() -> first.streams().state() == KafkaStreams.State.ERROR, "the injected crash");
      assertThat(first.streams().state()).isEqualTo(KafkaStreams.State.ERROR);
      first.close();
      reader.readToEnd();
      int committedBeforeRestart = reader.scores.size();
      assertThat(committedBeforeRestart).as("crash happened mid-stream").isLessThan(events);
      System.out.printf("crash IT: %d of %d scores committed before the crash%n", committedBeforeRestart, events);

      try (TopologyApp second = TopologyApp.start(c)) {
        assertThat(second.awaitRunning(Duration.ofSeconds(60))).as("restarted app RUNNING").isTrue();
        reader.pollUntil(() -> reader.scores.size() >= events, Duration.ofSeconds(90));
        // Caught up: a marker sent now to every input partition is scored only after everything
        // before it on that partition, so once all markers are in, a duplicate would be too.
        Set<String> markers = new HashSet<>();
        for (org.apache.kafka.common.PartitionInfo pi : prod.partitionsFor(c.impressionsTopic())) {
          Impression imp = TestModels.impression("marker-" + pi.partition(), System.currentTimeMillis(), 1, rnd);
          prod.send(new ProducerRecord<>(c.impressionsTopic(), pi.partition(),
              imp.getEventId().getBytes(StandardCharsets.UTF_8), Schemas.IMPRESSION.encode(imp)));
          markers.add(imp.getEventId());
        }
        prod.flush();
        sent.addAll(markers);
        reader.pollUntil(() -> reader.scores.stream().map(Score::getEventId).filter(markers::contains).count()
            >= markers.size(), Duration.ofSeconds(90));
        reader.readToEnd();
      }
      Map<String, Integer> perEvent = new HashMap<>();
      for (Score s : reader.scores) {
        perEvent.merge(s.getEventId(), 1, Integer::sum);
      }
      assertThat(perEvent.keySet()).isEqualTo(sent);
      assertThat(perEvent.values()).as("exactly once in committed output").containsOnly(1);
    }
  }
}
