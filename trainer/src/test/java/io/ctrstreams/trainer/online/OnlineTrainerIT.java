package io.ctrstreams.trainer.online;

import static io.ctrstreams.broker.testing.TestConditions.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.serving.AssemblyResult;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ModelChunkAssembler;
import io.ctrstreams.trainer.data.RawField;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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

@Tag("integration")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OnlineTrainerIT {
  private static final long SEED = 42;
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
  void shouldPublishSnapshotsThatLearnAndContinueVersionsAfterRestart() throws Exception {
    String topic = BrokerTestSupport.uniqueName("model-updates");
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      KafkaTopics.ensure(admin, List.of(KafkaTopics.compacted(topic, 1)));
    }
    Map<String, Object> props = props(topic, 20_000);
    props.put(OnlineTrainerConfig.SOURCE_CONFIG, "synthetic");
    props.put(OnlineTrainerConfig.SYNTHETIC_SEED_CONFIG, Long.toString(SEED));
    OnlineTrainerConfig config = new OnlineTrainerConfig(props);

    PrometheusRegistry registry = new PrometheusRegistry();
    try (OnlineTrainer t = OnlineTrainers.backprop(config, registry)) {
      t.start();
      waitFor(() -> t.snapshotsPublished() >= 2 || t.failure() != null, "two snapshots published");
      assertThat(t.failure()).isNull();
      assertThat(t.snapshotsPublished()).isGreaterThanOrEqualTo(2);
    }
    TreeMap<Long, CtrModel> models = readSnapshots(topic);
    assertThat(models.firstKey()).isEqualTo(1L);
    assertThat(models).containsKey(2L);
    CtrModel v1 = models.get(1L);
    CtrModel v2 = models.get(2L);
    assertThat(v2.name()).isEqualTo("ctr-full");
    assertThat(Long.parseLong(v2.metadata().get("examples-trained")))
        .isGreaterThan(Long.parseLong(v1.metadata().get("examples-trained")));
    // learned something about the hidden teacher: held-out rows (the traffic's rows, never trained on)
    double auc2 = HeldOut.auc(v2, SEED, 4000);
    assertThat(auc2).as("held-out AUC of v2").isGreaterThan(0.6);

    // a restart continues the version line instead of reusing 1
    try (OnlineTrainer t = OnlineTrainers.backprop(config, new PrometheusRegistry())) {
      t.start();
      long newest = models.lastKey();
      assertThat(t.lastVersion()).isEqualTo(newest);
    }
  }

  @Test
  void shouldTrainOnTheLabeledTopicAndResumeFromCommittedOffsets() throws Exception {
    String labeled = BrokerTestSupport.uniqueName("labeled");
    String updates = BrokerTestSupport.uniqueName("model-updates");
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      KafkaTopics.ensure(admin, List.of(KafkaTopics.plain(labeled, 1), KafkaTopics.compacted(updates, 1)));
    }
    // labeled examples as the topology writes them: rows of the synthetic stream that the
    // held-out AUC below never uses (it reads rows from 0; these start at 2^40)
    int n = 30_000;
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
        p.send(new ProducerRecord<>(labeled, ("e" + i).getBytes(StandardCharsets.UTF_8), Schemas.LABELED_EXAMPLE.encode(ex)));
      }
      // a record that is not a LabeledExample is skipped, not fatal
      p.send(new ProducerRecord<>(labeled, "junk".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3}));
    }
    Map<String, Object> props = props(updates, 10_000);
    props.put(OnlineTrainerConfig.SOURCE_CONFIG, "labeled");
    props.put(OnlineTrainerConfig.LABELED_TOPIC_CONFIG, labeled);
    String group = BrokerTestSupport.uniqueName("trainer");
    props.put(OnlineTrainerConfig.GROUP_ID_CONFIG, group);
    OnlineTrainerConfig config = new OnlineTrainerConfig(props);
    // the trainer's consumer (client id <group>-labeled): caught up once it has returned every
    // record up to the junk one at the end and everything it returned but the junk is trained
    String clientId = group + "-labeled";
    long trained;
    long consumed;
    try (OnlineTrainer t = OnlineTrainers.backprop(config, new PrometheusRegistry())) {
      t.start();
      waitFor(() -> t.failure() != null || caughtUp(t, clientId, n + 1), "the whole labeled topic trained");
      assertThat(t.failure()).isNull();
      trained = t.examplesTrained();
      consumed = BrokerTestSupport.recordsConsumed(clientId);
    }
    // every example once (the junk record skipped); a snapshot per 10,000 examples
    assertThat(consumed).as("records read").isEqualTo(n + 1);
    assertThat(trained).isEqualTo(n);
    TreeMap<Long, CtrModel> models = readSnapshots(updates);
    assertThat(models.keySet()).containsExactly(1L, 2L);
    long inSnapshots = Long.parseLong(models.get(2L).metadata().get("examples-trained"));
    assertThat(inSnapshots).isBetween(20_000L, (long) n);
    assertThat(HeldOut.auc(models.get(2L), SEED, 4000)).as("held-out AUC after the labeled topic").isGreaterThan(0.6);

    // The offsets committed with snapshot v2 cover exactly the examples in it: a restart trains
    // only the rest (trained before but in no snapshot), and continues the version line.
    try (OnlineTrainer t = OnlineTrainers.backprop(config, new PrometheusRegistry())) {
      t.start();
      waitFor(() -> t.failure() != null || caughtUp(t, clientId, n + 1 - inSnapshots), "the rest of the topic trained");
      assertThat(t.failure()).isNull();
      assertThat(BrokerTestSupport.recordsConsumed(clientId)).as("records read after the restart")
          .isEqualTo(n + 1 - inSnapshots);
      assertThat(t.examplesTrained()).isEqualTo(n - inSnapshots);
      assertThat(t.lastVersion()).isEqualTo(2L);
    }
  }

  /**
   * Whether the trainer's consumer has returned at least {@code records} records (the last one is
   * the junk record, never trained) and the trainer has trained all the others it returned.
   */
  private static boolean caughtUp(OnlineTrainer t, String clientId, long records) {
    long consumed = BrokerTestSupport.recordsConsumed(clientId);
    return consumed >= records && t.examplesTrained() >= consumed - 1;
  }

  /** A small online model publishing to {@code updates} every {@code snapshotExamples} examples. */
  private static Map<String, Object> props(String updates, int snapshotExamples) {
    Map<String, Object> props = new HashMap<>();
    props.put(OnlineTrainerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(OnlineTrainerConfig.MODEL_UPDATES_TOPIC_CONFIG, updates);
    props.put(OnlineTrainerConfig.SNAPSHOT_INTERVAL_MS_CONFIG, "0");
    props.put(OnlineTrainerConfig.SNAPSHOT_EXAMPLES_CONFIG, Integer.toString(snapshotExamples));
    props.put(OnlineTrainerConfig.MIN_EXAMPLES_CONFIG, Integer.toString(snapshotExamples));
    props.put(OnlineTrainerConfig.HASH_BUCKETS_CONFIG, "500");
    props.put(OnlineTrainerConfig.MLP_CONFIG, "32,16");
    return props;
  }

  private static TreeMap<Long, CtrModel> readSnapshots(String topic) throws InterruptedException {
    TreeMap<Long, CtrModel> out = new TreeMap<>();
    ModelChunkAssembler a = new ModelChunkAssembler();
    for (ConsumerRecord<byte[], byte[]> r : BrokerTestSupport.readAll(broker.bootstrapServers(), topic)) {
      if (a.accept(new String(r.key(), StandardCharsets.UTF_8), r.value()) instanceof AssemblyResult.Assembled x) {
        // what a registry serves: the file's metadata overlaid with the manifest's
        CtrModel m = CtrModel.fromFile(CtrmFormat.read(x.bytes()));
        Map<String, String> meta = new HashMap<>(m.metadata());
        x.manifest().getMetadata().forEach((k, v) -> meta.put(k.toString(), v.toString()));
        out.put(x.version(), m.withMetadata(meta));
      }
    }
    return out;
  }
}
