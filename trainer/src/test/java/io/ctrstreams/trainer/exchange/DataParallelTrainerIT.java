package io.ctrstreams.trainer.exchange;

import static io.ctrstreams.broker.testing.TestConditions.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.serving.AssemblyResult;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ModelChunkAssembler;
import io.ctrstreams.trainer.data.RawField;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.ctrstreams.trainer.online.OnlineTrainerConfig;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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

/**
 * Two data-parallel workers on the embedded broker: they agree on an epoch, stay bit-identical
 * (no hash mismatch), only the designated worker publishes keyframes; killing the designated
 * worker mid-round (after its message, without leaving the group) makes the survivor start a new
 * epoch alone from the newest keyframe and take over publishing, with no version published twice.
 * With three workers: a diverged replica is detected by the weight hash and resynced, and a
 * middle slot dying leaves two survivors in a new epoch.
 */
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DataParallelTrainerIT {
  private static final long SEED = 42;
  private static final int KEYFRAME_ROUNDS = 10;
  private static EmbeddedKafkaBroker broker;

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

  @Test
  void shouldTrainInLockstepAndSurviveTheDesignatedWorkerDyingMidRound() throws Exception {
    String labeled = BrokerTestSupport.uniqueName("labeled");
    String updates = BrokerTestSupport.uniqueName("model-updates");
    Map<String, Object> base = setUp(labeled, updates, 40_000);

    PrometheusRegistry ra = new PrometheusRegistry();
    PrometheusRegistry rb = new PrometheusRegistry();
    DataParallelTrainer a = worker(base, "worker-a", ra);
    DataParallelTrainer b = worker(base, "worker-b", rb);
    List<DataParallelTrainer> both = List.of(a, b);
    try {
      a.start();
      b.start();
      waitFor(() -> failed(both) || (a.workers() == 2 && b.workers() == 2 && a.epoch() == b.epoch()
          && a.epochRounds() >= 3 * KEYFRAME_ROUNDS && b.epochRounds() >= 3 * KEYFRAME_ROUNDS),
          "both workers train rounds in one epoch of two");
      assertThat(a.failure()).isNull();
      assertThat(b.failure()).isNull();
      assertThat(a.hashMismatches() + b.hashMismatches()).as("replicas stay bit-identical").isZero();
      // per-worker metrics (Prometheus names drop the _total suffix of counters)
      assertThat(metric(ra, "ctr_trainer_exchange_rounds")).isGreaterThanOrEqualTo(3 * KEYFRAME_ROUNDS);
      assertThat(metric(ra, "ctr_trainer_exchange_sent_bytes")).isPositive();
      assertThat(metric(ra, "ctr_trainer_exchange_received_bytes")).isPositive();
      assertThat(metric(rb, "ctr_trainer_exchange_round_seconds")).isPositive();
      assertThat(metric(rb, "ctr_trainer_exchange_error_norm")).isPositive();
      assertThat(metric(rb, "ctr_trainer_exchange_shift_norm")).isPositive();
      assertThat(metric(ra, "ctr_trainer_exchange_epoch")).isEqualTo(a.epoch());
      assertThat(metric(ra, "ctr_trainer_exchange_workers")).isEqualTo(2);
      assertThat(metric(rb, "ctr_trainer_exchange_hash_mismatches")).isZero();
      DataParallelTrainer designated = a.slot() == 0 ? a : b;
      DataParallelTrainer other = designated == a ? b : a;
      assertThat(other.slot()).isEqualTo(1);
      assertThat(other.publishedVersions()).as("only slot 0 publishes").isEmpty();
      assertThat(designated.publishedVersions()).isNotEmpty();
      int epochBefore = other.epoch();

      // kill the designated worker mid-round: it sends its message and dies without leaving
      designated.haltMidRound();
      waitFor(designated::halted, "designated worker halted");
      designated.close();
      List<Long> before = designated.publishedVersions();
      long newestBefore = before.get(before.size() - 1);

      waitFor(() -> other.failure() != null || (other.epoch() > epochBefore && other.workers() == 1
          && other.epochRounds() >= 2 * KEYFRAME_ROUNDS && !other.publishedVersions().isEmpty()),
          "the survivor continues alone in a new epoch and publishes");
      assertThat(other.failure()).isNull();
      assertThat(other.slot()).isZero();
      assertThat(other.keyframeVersion()).as("resumed from the newest keyframe").isEqualTo(newestBefore);
      assertThat(other.publishedVersions().get(0)).isGreaterThan(newestBefore);
      other.close();

      List<Long> onTopic = versions(updates);
      assertThat(new HashSet<>(onTopic)).as("no version published twice").hasSize(onTopic.size());
      List<Long> expected = new ArrayList<>(before);
      expected.addAll(other.publishedVersions());
      assertThat(onTopic).containsExactlyElementsOf(expected);
    } finally {
      a.close();
      b.close();
    }
  }

  /**
   * Three workers: a replica whose weights diverge (the test hook perturbs one update of slot 2)
   * is caught by the hash travelling with the next round's messages, and every worker resyncs
   * from the same newest keyframe in the same epoch, once; then slot 1 dies mid-round and the two
   * survivors start a new epoch of two from the newest keyframe (e, h and hbar reset: the
   * replicas stay bit-identical), slot 0 keeps publishing and no version appears twice.
   */
  @Test
  void shouldResyncADivergedReplicaAndSurviveAMiddleWorkerDyingWithThree() throws Exception {
    String labeled = BrokerTestSupport.uniqueName("labeled");
    String updates = BrokerTestSupport.uniqueName("model-updates");
    Map<String, Object> base = setUp(labeled, updates, 60_000);
    DataParallelTrainer a = worker(base, "worker-a", new PrometheusRegistry());
    DataParallelTrainer b = worker(base, "worker-b", new PrometheusRegistry());
    DataParallelTrainer c = worker(base, "worker-c", new PrometheusRegistry());
    List<DataParallelTrainer> all = List.of(a, b, c);
    try {
      all.forEach(DataParallelTrainer::start);
      waitFor(() -> failed(all) || all.stream().allMatch(w -> w.workers() == 3 && w.epoch() == a.epoch()
          && w.epochRounds() >= 2 * KEYFRAME_ROUNDS), "three workers train rounds in one epoch of three");
      all.forEach(w -> assertThat(w.failure()).isNull());
      // slots are the sorted instance ids
      assertThat(List.of(a.slot(), b.slot(), c.slot())).containsExactly(0, 1, 2);
      assertThat(all.stream().mapToLong(DataParallelTrainer::hashMismatches).sum()).isZero();
      assertThat(a.publishedVersions()).isNotEmpty();
      assertThat(b.publishedVersions()).isEmpty();
      assertThat(c.publishedVersions()).isEmpty();
      int epoch = a.epoch();

      // slot 2's replica leaves the others': the next round's hashes disagree on every worker
      c.perturbNextUpdate();
      waitFor(() -> failed(all) || all.stream().allMatch(w -> w.hashMismatches() >= 1), "every worker sees the mismatch");
      long[] roundsAt = all.stream().mapToLong(DataParallelTrainer::rounds).toArray();
      waitFor(() -> failed(all) || (a.rounds() >= roundsAt[0] + 2 * KEYFRAME_ROUNDS
          && b.rounds() >= roundsAt[1] + 2 * KEYFRAME_ROUNDS && c.rounds() >= roundsAt[2] + 2 * KEYFRAME_ROUNDS),
          "training goes on after the resync");
      all.forEach(w -> assertThat(w.failure()).isNull());
      for (DataParallelTrainer w : all) {
        assertThat(w.hashMismatches()).as("one divergence, one resync: replicas agree again").isEqualTo(1);
        assertThat(w.epoch()).as("a resync is not a new epoch").isEqualTo(epoch);
        assertThat(w.workers()).isEqualTo(3);
      }
      long resyncedFrom = a.keyframeVersion();
      assertThat(resyncedFrom).as("resynced from a published keyframe").isPositive();
      assertThat(a.publishedVersions()).contains(resyncedFrom);
      assertThat(b.keyframeVersion()).isEqualTo(resyncedFrom);
      assertThat(c.keyframeVersion()).isEqualTo(resyncedFrom);

      // slot 1 dies mid-round (after sending its message, without leaving the group)
      b.haltMidRound();
      waitFor(b::halted, "slot 1 halted");
      b.close();
      List<Long> publishedBefore = a.publishedVersions();
      long aRounds = a.rounds();
      waitFor(() -> failed(List.of(a, c)) || (a.epoch() > epoch && c.epoch() == a.epoch() && a.workers() == 2
          && c.workers() == 2 && a.epochRounds() >= 2 * KEYFRAME_ROUNDS && c.epochRounds() >= 2 * KEYFRAME_ROUNDS
          && a.publishedVersions().size() > publishedBefore.size()),
          "the two survivors train in a new epoch of two and slot 0 publishes");
      assertThat(a.failure()).isNull();
      assertThat(c.failure()).isNull();
      assertThat(a.slot()).isZero();
      assertThat(c.slot()).isEqualTo(1);
      assertThat(a.rounds()).isGreaterThan(aRounds);
      assertThat(a.hashMismatches() + c.hashMismatches()).as("e, h and hbar reset alike: no new divergence").isEqualTo(2);
      long resumedFrom = a.keyframeVersion();
      assertThat(c.keyframeVersion()).isEqualTo(resumedFrom);
      assertThat(resumedFrom).as("the new epoch resumes from the newest keyframe")
          .isGreaterThanOrEqualTo(publishedBefore.get(publishedBefore.size() - 1));
      List<Long> published = a.publishedVersions();
      assertThat(published).contains(resumedFrom);
      assertThat(published.get(published.size() - 1)).isGreaterThan(resumedFrom);
      a.close();
      c.close();
      assertThat(c.publishedVersions()).as("only slot 0 publishes").isEmpty();

      List<Long> onTopic = versions(updates);
      assertThat(new HashSet<>(onTopic)).as("no version published twice").hasSize(onTopic.size());
      assertThat(onTopic).as("exactly what slot 0 published, in order").containsExactlyElementsOf(a.publishedVersions());
      assertThat(onTopic).isSorted();
    } finally {
      all.forEach(DataParallelTrainer::close);
    }
  }

  /**
   * {@code exchange.shift=touched-rows} with the dense tensors whole in int8 and eta per tensor
   * from the measured contraction (the configuration that meets the quality target in QUALITY.md
   * 5.7; each worker's eta is its own, so this also shows it does not break lockstep): the
   * messages on the exchange topic carry the int8 dense section and the row masks (version 3,
   * flags 3; version 2 and the separate dense ratio are {@code WireExchangeTest}'s), the replicas
   * stay bit-identical (no hash mismatch,
   * which is checked every round), and when the second worker dies mid-round the survivor starts a
   * new epoch alone (every worker's shift reset) and keeps training and publishing.
   */
  @Test
  void shouldTrainInLockstepWithTouchedRowMasksAndADenseRatio() throws Exception {
    String labeled = BrokerTestSupport.uniqueName("labeled");
    String updates = BrokerTestSupport.uniqueName("model-updates");
    Map<String, Object> base = setUp(labeled, updates, 40_000);
    base.put(OnlineTrainerConfig.EXCHANGE_SHIFT_CONFIG, "touched-rows");
    base.put(OnlineTrainerConfig.EXCHANGE_TOPK_RATIO_CONFIG, "0.04");
    base.put(OnlineTrainerConfig.EXCHANGE_DENSE_RATIO_CONFIG, "1");
    base.put(OnlineTrainerConfig.EXCHANGE_DENSE_INT8_CONFIG, "true");
    base.put(OnlineTrainerConfig.EXCHANGE_ETA_PER_TENSOR_CONFIG, "true");
    base.put(OnlineTrainerConfig.EXCHANGE_ETA_MEASURED_SCALE_CONFIG, "0.2");
    PrometheusRegistry ra = new PrometheusRegistry();
    DataParallelTrainer a = worker(base, "worker-a", ra);
    DataParallelTrainer b = worker(base, "worker-b", new PrometheusRegistry());
    List<DataParallelTrainer> both = List.of(a, b);
    try {
      a.start();
      b.start();
      waitFor(() -> failed(both) || (a.workers() == 2 && b.workers() == 2 && a.epoch() == b.epoch()
          && a.epochRounds() >= 3 * KEYFRAME_ROUNDS && b.epochRounds() >= 3 * KEYFRAME_ROUNDS),
          "both workers train rounds in one epoch of two");
      assertThat(a.failure()).isNull();
      assertThat(b.failure()).isNull();
      assertThat(a.hashMismatches() + b.hashMismatches()).as("replicas stay bit-identical").isZero();
      assertThat(metric(ra, "ctr_trainer_exchange_shift_norm")).isPositive();
      assertThat(metric(ra, "ctr_trainer_exchange_phase_seconds")).as("time per phase").isPositive();
      assertThat(a.slot()).isZero();
      int epoch = a.epoch();

      List<ConsumerRecord<byte[], byte[]>> onExchange = BrokerTestSupport.readAll(broker.bootstrapServers(),
          (String) base.get(OnlineTrainerConfig.EXCHANGE_TOPIC_CONFIG));
      assertThat(onExchange).hasSizeGreaterThanOrEqualTo(2 * 3 * KEYFRAME_ROUNDS);
      for (ConsumerRecord<byte[], byte[]> r : onExchange) {
        assertThat(java.nio.ByteBuffer.wrap(r.value()).getShort(4)).as("version with int8 dense tensors")
            .isEqualTo((short) 3);
        assertThat(r.value()[43]).as("flags: masks and int8 dense section").isEqualTo((byte) 3);
      }

      b.haltMidRound();
      waitFor(b::halted, "slot 1 halted");
      b.close();
      List<Long> before = a.publishedVersions();
      waitFor(() -> a.failure() != null || (a.epoch() > epoch && a.workers() == 1
          && a.epochRounds() >= 2 * KEYFRAME_ROUNDS && a.publishedVersions().size() > before.size()),
          "the survivor continues alone in a new epoch and publishes");
      assertThat(a.failure()).isNull();
      assertThat(a.hashMismatches()).isZero();
      // the round slot 1 sent before dying may still complete (and be a keyframe) on the survivor
      assertThat(a.keyframeVersion()).as("resumed from its own newest keyframe")
          .isGreaterThanOrEqualTo(before.get(before.size() - 1));
      assertThat(a.publishedVersions()).contains(a.keyframeVersion());
      a.close();
      List<Long> onTopic = versions(updates);
      assertThat(onTopic).containsExactlyElementsOf(a.publishedVersions());
    } finally {
      a.close();
      b.close();
    }
  }

  /** Topics for one test (unique names), {@code examples} labeled rows on 4 partitions, and the workers' common config. */
  private static Map<String, Object> setUp(String labeled, String updates, int examples) throws Exception {
    String exchange = BrokerTestSupport.uniqueName("trainer-exchange");
    String group = BrokerTestSupport.uniqueName("dp-trainer");
    Map<String, Object> base = new HashMap<>();
    base.put(OnlineTrainerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    base.put(OnlineTrainerConfig.MODEL_UPDATES_TOPIC_CONFIG, updates);
    base.put(OnlineTrainerConfig.LABELED_TOPIC_CONFIG, labeled);
    base.put(OnlineTrainerConfig.EXCHANGE_TOPIC_CONFIG, exchange);
    base.put(OnlineTrainerConfig.GROUP_ID_CONFIG, group);
    base.put(OnlineTrainerConfig.SOURCE_CONFIG, "labeled");
    base.put(OnlineTrainerConfig.EXCHANGE_ENABLED_CONFIG, "true");
    base.put(OnlineTrainerConfig.EXCHANGE_ROUND_EXAMPLES_CONFIG, "64");
    base.put(OnlineTrainerConfig.EXCHANGE_KEYFRAME_ROUNDS_CONFIG, Integer.toString(KEYFRAME_ROUNDS));
    base.put(OnlineTrainerConfig.HASH_BUCKETS_CONFIG, "200");
    base.put(OnlineTrainerConfig.MLP_CONFIG, "16");
    base.put(OnlineTrainerConfig.EXCHANGE_ROUND_TIMEOUT_MS_CONFIG, "120000");
    base.put("consumer.session.timeout.ms", "6000");
    base.put("consumer.heartbeat.interval.ms", "1000");
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      KafkaTopics.ensure(admin, List.of(KafkaTopics.plain(labeled, 4)));
      Map<String, Object> probe = new HashMap<>(base);
      probe.put(OnlineTrainerConfig.EXCHANGE_WORKER_ID_CONFIG, "probe");
      KafkaTopics.ensure(admin, new OnlineTrainerConfig(probe).requiredTopics());
    }
    produce(labeled, examples);
    return base;
  }

  private static boolean failed(List<DataParallelTrainer> ws) {
    return ws.stream().anyMatch(w -> w.failure() != null);
  }

  private static DataParallelTrainer worker(Map<String, Object> base, String id, PrometheusRegistry registry) {
    Map<String, Object> p = new HashMap<>(base);
    p.put(OnlineTrainerConfig.EXCHANGE_WORKER_ID_CONFIG, id);
    return new DataParallelTrainer(new OnlineTrainerConfig(p), registry);
  }

  /** The value of an unlabelled counter or gauge in {@code registry}. */
  private static double metric(PrometheusRegistry registry, String name) {
    for (io.prometheus.metrics.model.snapshots.MetricSnapshot m : registry.scrape()) {
      if (m.getMetadata().getPrometheusName().equals(name)) {
        for (io.prometheus.metrics.model.snapshots.DataPointSnapshot d : m.getDataPoints()) {
          if (d instanceof io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot c) {
            return c.getValue();
          }
          if (d instanceof io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot g) {
            return g.getValue();
          }
        }
      }
    }
    throw new AssertionError("no metric " + name);
  }

  private static void produce(String topic, int n) {
    SyntheticStream s = new SyntheticStream(SEED);
    s.seek(1L << 40);
    RawRecord r = s.schema().newRecord();
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(BrokerTestSupport.producerConfig(broker.bootstrapServers()))) {
      for (int i = 0; i < n; i++) {
        s.nextInto(r);
        Map<String, Object> ctx = new HashMap<>();
        Map<String, Object> feats = new HashMap<>();
        for (int f = 0; f < s.schema().size(); f++) {
          RawField field = s.schema().field(f);
          Object v = field.numeric() ? (Object) r.number[f] : r.category[f];
          if (v != null && !(v instanceof Double d && d.isNaN())) {
            (field.context() ? ctx : feats).put(field.name(), v);
          }
        }
        LabeledExample ex = LabeledExample.newBuilder().setEventId("e" + i).setAdId("ad").setContext(ctx)
            .setFeatures(feats).setLabel(r.label > 0.5f ? 1 : 0).setServedPctr(0.5).setShadowPctr(null)
            .setModelName("ctr").setModelVersion(1L).setShadowModelVersion(null).setImpressionTimestampMs(r.timestampMs)
            .setClickTimestampMs(null).setLabeledAtMs(r.timestampMs).build();
        p.send(new ProducerRecord<>(topic, ("e" + i).getBytes(StandardCharsets.UTF_8), Schemas.LABELED_EXAMPLE.encode(ex)));
      }
    }
  }

  private static List<Long> versions(String topic) throws InterruptedException {
    List<Long> out = new ArrayList<>();
    ModelChunkAssembler a = new ModelChunkAssembler();
    for (ConsumerRecord<byte[], byte[]> r : BrokerTestSupport.readAll(broker.bootstrapServers(), topic)) {
      if (a.accept(new String(r.key(), StandardCharsets.UTF_8), r.value()) instanceof AssemblyResult.Assembled x) {
        out.add(x.version());
      }
    }
    return out;
  }
}
