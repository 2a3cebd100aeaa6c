package io.ctrstreams.recompressor.service;

import static io.ctrstreams.broker.testing.TestConditions.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.serving.AssemblyResult;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ModelChunkAssembler;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.trainer.data.SyntheticEvent;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.ctrstreams.trainer.online.OnlineModels;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Tag("integration")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // each service runs while its try block waits; the block only closes it
class RecompressorServiceIT {
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

  private static ModelSpec spec() {
    return OnlineModels.spec(new SyntheticStream(1).schema(), "ctr-full", Architecture.DNN, 8, 300, new int[] {32, 16});
  }

  @Test
  void shouldPublishOneCompressedVersionPerSnapshotAndNotRedoFinishedVersionsAfterRestart() throws Exception {
    String prefix = BrokerTestSupport.uniqueName("rc");
    String updates = prefix + "-model-updates";
    String models = prefix + "-models";
    String impressions = prefix + "-impressions";
    String labeled = prefix + "-labeled";
    Map<String, Object> client = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    try (Admin admin = Admin.create(client)) {
      KafkaTopics.ensure(admin, List.of(KafkaTopics.compacted(updates, 1), KafkaTopics.compacted(models, 1),
          KafkaTopics.plain(impressions, 1), KafkaTopics.plain(labeled, 1)));
    }
    produceImpressions(impressions, 400);
    Map<String, Object> props = new HashMap<>();
    props.put(RecompressorConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(RecompressorConfig.GROUP_ID_CONFIG, prefix + "-group");
    props.put(RecompressorConfig.MODEL_UPDATES_TOPIC_CONFIG, updates);
    props.put(RecompressorConfig.MODELS_TOPIC_CONFIG, models);
    props.put(RecompressorConfig.IMPRESSIONS_TOPIC_CONFIG, impressions);
    props.put(RecompressorConfig.LABELED_TOPIC_CONFIG, labeled);
    props.put(RecompressorConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(RecompressorConfig.COMPRESSION_SEARCH_CONFIG, "fixed");
    props.put(RecompressorConfig.COMPRESSION_EMBEDDING_RANK_CONFIG, "4");
    props.put(RecompressorConfig.METRICS_PORT_CONFIG, "-1");
    RecompressorConfig config = new RecompressorConfig(props);

    try (ModelPublisher updatesPublisher = new ModelPublisher(client, updates)) {
      updatesPublisher.publish("ctr-full", 1, CtrmFormat.toBytes(CtrModel.random(spec(), 11).withVersion(1).toFile()),
          Map.of());
      List<RecompressionOutcome> outcomes = new CopyOnWriteArrayList<>();
      try (RecompressorService s = start(config, outcomes, new PrometheusRegistry())) {
        waitFor(() -> outcomes.size() >= 1, "the first outcome");
      }
      assertThat(outcomes).hasSize(1);
      RecompressionOutcome first = outcomes.get(0);
      assertThat(first.status()).as(first.reason()).isEqualTo(RecompressionOutcome.Status.ACCEPTED);
      assertThat(first.fullVersion()).isEqualTo(1);
      assertThat(first.publishedVersion()).isEqualTo(1);
      assertThat(first.compressionRatio()).isGreaterThan(1.5);

      // Restart without a new snapshot: v1 is finished, nothing is redone. Once the restarted
      // service has read v1 (its calibration data is already in the state dir), a redo would run
      // before it reads anything published later: v2 is the marker after which we look.
      outcomes.clear();
      PrometheusRegistry registry = new PrometheusRegistry();
      try (RecompressorService s = start(config, outcomes, registry)) {
        waitFor(() -> metric(registry, "ctr_recompressor_snapshots_received") >= 1, "full v1 read after the restart");
        // A new snapshot while running: exactly one new compressed version, from full v2.
        updatesPublisher.publish("ctr-full", 2,
            CtrmFormat.toBytes(CtrModel.random(spec(), 12).withVersion(2).toFile()), Map.of());
        waitFor(() -> outcomes.size() >= 1, "an outcome after the restart");
      }
      assertThat(outcomes).as("no redo of v1 before v2").hasSize(1);
      assertThat(outcomes.get(0).fullVersion()).isEqualTo(2);
      assertThat(outcomes.get(0).publishedVersion()).isEqualTo(2);
    }

    Map<String, Map<Long, Map<String, String>>> published = readModels(models);
    assertThat(published.get("ctr").keySet()).containsExactly(1L, 2L);
    assertThat(published.get("ctr").get(1L)).containsEntry("compressed-from", "1");
    assertThat(published.get("ctr").get(2L)).containsEntry("compressed-from", "2");
    // the exact teachers ride along as the shadow model
    assertThat(published.get("ctr-full").keySet()).containsExactly(1L, 2L);
  }

  @Test
  void shouldRecompressTheSameSnapshotWhenTheLastPublishGetsOld() throws Exception {
    String prefix = BrokerTestSupport.uniqueName("rc-age");
    Map<String, Object> client = createTopics(prefix);
    produceImpressions(prefix + "-impressions", 300);
    Map<String, Object> props = props(prefix);
    props.put(RecompressorConfig.SHADOW_MODEL_NAME_CONFIG, "");
    props.put(RecompressorConfig.TRIGGER_MAX_AGE_MS_CONFIG, "2000");
    props.put(RecompressorConfig.TRIGGER_MIN_INTERVAL_MS_CONFIG, "0");
    RecompressorConfig config = new RecompressorConfig(props);
    publishFull(client, prefix + "-updates", 21);
    List<RecompressionOutcome> outcomes = new CopyOnWriteArrayList<>();
    try (RecompressorService s = start(config, outcomes, new PrometheusRegistry())) {
      waitFor(() -> outcomes.size() >= 2, "the snapshot run and the age run");
    }
    assertThat(outcomes).extracting(RecompressionOutcome::trigger).startsWith("snapshot", "age");
    assertThat(outcomes).extracting(RecompressionOutcome::fullVersion).startsWith(1L, 1L);
    assertThat(outcomes).extracting(RecompressionOutcome::publishedVersion).startsWith(1L, 2L);
    Map<String, Map<Long, Map<String, String>>> published = readModels(prefix + "-models");
    assertThat(published.get("ctr").get(2L)).containsEntry("compressed-from", "1");
    assertThat(published).doesNotContainKey("ctr-full");
  }

  @Test
  void shouldRecompressWhenServedLoglossDriftsAboveTheGatesLogloss() throws Exception {
    String prefix = BrokerTestSupport.uniqueName("rc-drift");
    Map<String, Object> client = createTopics(prefix);
    produceImpressions(prefix + "-impressions", 300);
    // a holdout labeled under no published version (0): the first gate measures its logloss on it
    produceLabeled(prefix + "-labeled", 120, 0L, false);
    Map<String, Object> props = props(prefix);
    props.put(RecompressorConfig.SHADOW_MODEL_NAME_CONFIG, "");
    props.put(RecompressorConfig.HOLDOUT_MIN_ROWS_CONFIG, "50");
    // this test is about the trigger, not the gate: a random model on random labels must pass
    props.put(RecompressorConfig.GATE_MAX_AUC_DROP_CONFIG, "1");
    props.put(RecompressorConfig.GATE_MAX_LOGLOSS_RISE_CONFIG, "10");
    props.put(RecompressorConfig.GATE_MAX_CALIBRATION_SHIFT_CONFIG, "10");
    props.put(RecompressorConfig.GATE_MAX_LOGIT_DIFF_CONFIG, "100");
    props.put(RecompressorConfig.TRIGGER_DRIFT_LOGLOSS_CONFIG, "0.1");
    props.put(RecompressorConfig.TRIGGER_MIN_INTERVAL_MS_CONFIG, "0");
    RecompressorConfig config = new RecompressorConfig(props);
    publishFull(client, prefix + "-updates", 31);
    List<RecompressionOutcome> outcomes = new CopyOnWriteArrayList<>();
    PrometheusRegistry registry = new PrometheusRegistry();
    try (RecompressorService s = start(config, outcomes, registry)) {
      waitFor(() -> outcomes.size() >= 1, "the snapshot run");
      assertThat(outcomes).hasSize(1);
      assertThat(outcomes.get(0).trigger()).isEqualTo("snapshot");
      assertThat(outcomes.get(0).status()).as(outcomes.get(0).reason()).isEqualTo(RecompressionOutcome.Status.ACCEPTED);
      // Served logloss of version 1 within the gate's level: no drift run.
      // Caught up once the holdout holds all 200 labeled rows: a drift run on them would start in
      // the same loop pass, with a holdout of at most 200 rows (checked on the drift run below).
      produceLabeled(prefix + "-labeled", 80, 1L, false);
      waitFor(() -> metric(registry, "ctr_recompressor_holdout_rows") >= 200, "all 200 labeled rows read");
      assertThat(outcomes).hasSize(1);
      // Version 1 now serves pctr 0.001 to clicked impressions: served logloss ~6.9, far above
      // the gate's; once holdout.min.rows such examples are in, the same snapshot reruns.
      produceLabeled(prefix + "-labeled", 80, 1L, true);
      waitFor(() -> outcomes.size() >= 2, "the drift run");
    }
    assertThat(outcomes).hasSizeGreaterThanOrEqualTo(2);
    assertThat(outcomes.get(1).trigger()).isEqualTo("drift");
    // a run triggered by the 200 rows before the drifted ones would have a holdout of <= 200 rows
    java.util.regex.Matcher holdout = java.util.regex.Pattern.compile("holdout n=(\\d+)").matcher(outcomes.get(1).reason());
    assertThat(holdout.find()).as(outcomes.get(1).reason()).isTrue();
    assertThat(Integer.parseInt(holdout.group(1))).as("holdout rows of the drift run").isGreaterThan(200);
    assertThat(outcomes.get(1).fullVersion()).isEqualTo(1L);
  }

  /**
   * Labeled examples of the served model "ctr" at {@code version}: synthetic features, labels
   * from the synthetic teacher and served pctr = the teacher's probability, or, when
   * {@code drifted}, clicks served with pctr 0.001.
   */
  private static void produceLabeled(String topic, int n, long version, boolean drifted) {
    SyntheticStream stream = new SyntheticStream(version * 7 + (drifted ? 1 : 0) + 5);
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(BrokerTestSupport.producerConfig(broker.bootstrapServers()))) {
      for (int i = 0; i < n; i++) {
        SyntheticEvent.Impression e = stream.nextImpression();
        LabeledExample ex = LabeledExample.newBuilder()
            .setEventId(e.eventId())
            .setAdId("ad-1")
            .setContext(new HashMap<>(e.context()))
            .setFeatures(new HashMap<>(e.candidate()))
            .setLabel(drifted || e.clicked() ? 1 : 0)
            .setServedPctr(drifted ? 0.001 : e.teacherProbability())
            .setShadowPctr(null)
            .setModelName("ctr")
            .setModelVersion(version)
            .setShadowModelVersion(null)
            .setImpressionTimestampMs(e.timestampMs())
            .setClickTimestampMs(null)
            .setLabeledAtMs(e.timestampMs() + 1)
            .build();
        p.send(new ProducerRecord<>(topic, e.eventId().getBytes(StandardCharsets.UTF_8), Schemas.LABELED_EXAMPLE.encode(ex)));
      }
    }
  }

  /** A started service reporting its outcomes into {@code outcomes} and its metrics into {@code registry}. */
  private static RecompressorService start(RecompressorConfig config, List<RecompressionOutcome> outcomes,
      PrometheusRegistry registry) {
    RecompressorService s = new RecompressorService(config, CompressorPipeline.fromConfig(config), registry);
    s.addListener(outcomes::add);
    s.start();
    return s;
  }

  /** Publishes a random full model as ctr-full v1. */
  private static void publishFull(Map<String, Object> client, String updates, long seed) {
    try (ModelPublisher p = new ModelPublisher(client, updates)) {
      p.publish("ctr-full", 1, CtrmFormat.toBytes(CtrModel.random(spec(), seed).withVersion(1).toFile()), Map.of());
    }
  }

  /** Creates the four topics {@code <prefix>-updates|models|impressions|labeled}; returns the admin config. */
  private static Map<String, Object> createTopics(String prefix) {
    Map<String, Object> client = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    try (Admin admin = Admin.create(client)) {
      KafkaTopics.ensure(admin, List.of(KafkaTopics.compacted(prefix + "-updates", 1),
          KafkaTopics.compacted(prefix + "-models", 1), KafkaTopics.plain(prefix + "-impressions", 1),
          KafkaTopics.plain(prefix + "-labeled", 1)));
    }
    return client;
  }

  /** Service settings over the topics of {@link #createTopics}, fixed ranks, this test's state dir. */
  private Map<String, Object> props(String prefix) {
    Map<String, Object> props = new HashMap<>();
    props.put(RecompressorConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(RecompressorConfig.GROUP_ID_CONFIG, prefix + "-group");
    props.put(RecompressorConfig.MODEL_UPDATES_TOPIC_CONFIG, prefix + "-updates");
    props.put(RecompressorConfig.MODELS_TOPIC_CONFIG, prefix + "-models");
    props.put(RecompressorConfig.IMPRESSIONS_TOPIC_CONFIG, prefix + "-impressions");
    props.put(RecompressorConfig.LABELED_TOPIC_CONFIG, prefix + "-labeled");
    props.put(RecompressorConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(RecompressorConfig.COMPRESSION_SEARCH_CONFIG, "fixed");
    return props;
  }

  private static void produceImpressions(String topic, int n) {
    SyntheticStream stream = new SyntheticStream(3);
    ImpressionCodec codec = new ImpressionCodec(WireFormat.AVRO, 10);
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(BrokerTestSupport.producerConfig(broker.bootstrapServers()))) {
      for (int i = 0; i < n; i++) {
        SyntheticEvent.Impression e = stream.nextImpression();
        Impression imp = Impression.newBuilder().setEventId(e.eventId()).setTimestampMs(e.timestampMs())
            .setContext(new HashMap<>(e.context()))
            .setCandidates(List.of(new Candidate("ad-1", new HashMap<>(e.candidate())))).build();
        p.send(new ProducerRecord<>(topic, e.eventId().getBytes(StandardCharsets.UTF_8), codec.encodeAvro(imp)));
      }
    }
  }

  /** Assembles every version of every model still on the topic; returns their manifest metadata. */
  private static Map<String, Map<Long, Map<String, String>>> readModels(String topic) throws InterruptedException {
    Map<String, Map<Long, Map<String, String>>> out = new HashMap<>();
    ModelChunkAssembler a = new ModelChunkAssembler();
    for (ConsumerRecord<byte[], byte[]> r : BrokerTestSupport.readAll(broker.bootstrapServers(), topic)) {
      AssemblyResult res = a.accept(new String(r.key(), StandardCharsets.UTF_8), r.value());
      if (res instanceof AssemblyResult.Assembled x) {
        Map<String, String> meta = new HashMap<>();
        x.manifest().getMetadata().forEach((k, v) -> meta.put(k.toString(), v.toString()));
        out.computeIfAbsent(x.model(), k -> new java.util.TreeMap<>()).put(x.version(), meta);
        assertThat(CtrModel.fromFile(CtrmFormat.read(x.bytes())).name()).isEqualTo(x.model());
      }
    }
    return out;
  }

  /** The value of an unlabeled counter (name without {@code _total}) or gauge, 0 when absent. */
  private static double metric(PrometheusRegistry registry, String name) {
    for (MetricSnapshot m : registry.scrape()) {
      if (m.getMetadata().getName().equals(name) && !m.getDataPoints().isEmpty()) {
        DataPointSnapshot p = m.getDataPoints().get(0);
        return p instanceof CounterSnapshot.CounterDataPointSnapshot c ? c.getValue()
            : ((GaugeSnapshot.GaugeDataPointSnapshot) p).getValue();
      }
    }
    return 0;
  }
}
