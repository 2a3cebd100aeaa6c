package io.ctrstreams.trainer.online;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.KafkaTopics;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.serving.AssemblyResult;
import io.ctrstreams.serving.ModelChunkAssembler;
import io.ctrstreams.trainer.Features;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
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
    Map<String, Object> props = new HashMap<>();
    props.put(OnlineTrainerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(OnlineTrainerConfig.MODEL_UPDATES_TOPIC_CONFIG, topic);
    props.put(OnlineTrainerConfig.SOURCE_CONFIG, "synthetic");
    props.put(OnlineTrainerConfig.SYNTHETIC_SEED_CONFIG, Long.toString(SEED));
    props.put(OnlineTrainerConfig.SNAPSHOT_INTERVAL_MS_CONFIG, "0");
    props.put(OnlineTrainerConfig.SNAPSHOT_EXAMPLES_CONFIG, "20000");
    props.put(OnlineTrainerConfig.MIN_EXAMPLES_CONFIG, "20000");
    props.put(OnlineTrainerConfig.HASH_BUCKETS_CONFIG, "500");
    props.put(OnlineTrainerConfig.MLP_CONFIG, "32,16");
    OnlineTrainerConfig config = new OnlineTrainerConfig(props);

    PrometheusRegistry registry = new PrometheusRegistry();
    try (OnlineTrainer t = OnlineTrainers.backprop(config, registry)) {
      t.start();
      long deadline = System.currentTimeMillis() + 60_000;
      while (t.snapshotsPublished() < 2 && System.currentTimeMillis() < deadline && t.failure() == null) {
        Thread.sleep(50);
      }
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
    double auc2 = heldOutAuc(v2);
    assertThat(auc2).as("held-out AUC of v2").isGreaterThan(0.6);

    // a restart continues the version line instead of reusing 1
    try (OnlineTrainer t = OnlineTrainers.backprop(config, new PrometheusRegistry())) {
      t.start();
      long newest = models.lastKey();
      assertThat(t.lastVersion()).isEqualTo(newest);
    }
  }

  private static double heldOutAuc(CtrModel m) {
    SyntheticStream s = new SyntheticStream(SEED);
    RawRecord r = s.schema().newRecord();
    FeatureVector v = m.encoder().newFeatureVector();
    int n = 4000;
    float[] p = new float[n];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      s.nextInto(r);
      v.clear();
      Features.encode(m.encoder(), r, v);
      p[i] = m.scorer().score(v, v);
      y[i] = r.label;
    }
    return BinaryMetrics.auc(p, y, n);
  }

  private static TreeMap<Long, CtrModel> readSnapshots(String topic) {
    TreeMap<Long, CtrModel> out = new TreeMap<>();
    ModelChunkAssembler a = new ModelChunkAssembler();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
        BrokerTestSupport.consumerConfig(broker.bootstrapServers(), BrokerTestSupport.uniqueName("read")))) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (a.accept(new String(r.key(), StandardCharsets.UTF_8), r.value()) instanceof AssemblyResult.Assembled x) {
            out.put(x.version(), CtrModel.fromFile(CtrmFormat.read(x.bytes())));
          }
        }
      }
    }
    return out;
  }
}
