package io.ctrstreams.topology;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ModelPublisher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A rough end-to-end probe, not part of the suite (its name matches no surefire include):
 * {@code mvn -pl topology -am verify -Dtest=ThroughputProbe -Dsurefire.failIfNoSpecifiedTests=false}.
 * Pre-loads N impressions, starts the app (exactly-once, labels off) and times until every score
 * is committed. The real benchmarks (dense vs compressed vs pass-through) belong to load-test/.
 */
@Tag("integration")
@Timeout(600)
class ThroughputProbe {
  @Test
  void probe() throws Exception {
    try (EmbeddedKafkaBroker broker = BrokerTestSupport.startBroker()) {
      for (int candidates : new int[] {1, 16}) {
        int events = Integer.getInteger("probe.events", 20_000);
        String p = BrokerTestSupport.uniqueName("probe" + candidates);
        Map<String, Object> c = new HashMap<>();
        c.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        c.put(TopologyConfig.APPLICATION_ID_CONFIG, p);
        c.put(TopologyConfig.IMPRESSIONS_TOPIC_CONFIG, p + "-imp");
        c.put(TopologyConfig.SCORES_TOPIC_CONFIG, p + "-scores");
        c.put(TopologyConfig.MODELS_TOPIC_CONFIG, p + "-models");
        c.put(TopologyConfig.DLQ_TOPIC_CONFIG, p + "-dlq");
        c.put(TopologyConfig.CLICKS_TOPIC_CONFIG, p + "-clicks");
        c.put(TopologyConfig.LABELED_TOPIC_CONFIG, p + "-labeled");
        c.put(TopologyConfig.LABELS_ENABLED_CONFIG, "false");
        c.put(TopologyConfig.METRICS_ENABLED_CONFIG, "false");
        c.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("probe").toString());
        TopologyConfig config = new TopologyConfig(c);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
          KafkaTopics.ensure(admin, List.of(KafkaTopics.plain(config.impressionsTopic(), 1),
              KafkaTopics.plain(config.scoresTopic(), 1), KafkaTopics.plain(config.dlqTopic(), 1),
              KafkaTopics.compacted(config.modelsTopic(), 1)));
        }
        try (ModelPublisher pub = new ModelPublisher(Map.of("bootstrap.servers", broker.bootstrapServers()), config.modelsTopic())) {
          pub.publish(config.modelName(), 1, TestModels.ctrm(TestModels.model(config.modelName(), 1, 1)), Map.of());
        }
        Random rnd = new Random(1);
        try (KafkaProducer<byte[], byte[]> prod = new KafkaProducer<>(BrokerTestSupport.producerConfig(broker.bootstrapServers()))) {
          for (int i = 0; i < events; i++) {
            prod.send(new ProducerRecord<>(config.impressionsTopic(), ("e" + i).getBytes(StandardCharsets.UTF_8),
                Schemas.IMPRESSION.encode(TestModels.impression("e" + i, System.currentTimeMillis(), candidates, rnd))));
          }
        }
        Map<String, Object> cc = BrokerTestSupport.consumerConfig(broker.bootstrapServers(), p + "-reader");
        cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        long want = (long) events * candidates;
        long t0 = System.nanoTime();
        try (TopologyApp app = TopologyApp.start(config); KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cc)) {
          System.out.println("PROBE app state at start: " + app.streams().state());
          TopicPartition tp = new TopicPartition(config.scoresTopic(), 0);
          consumer.assign(List.of(tp));
          long seen = 0;
          while (seen < want && System.nanoTime() - t0 < Duration.ofMinutes(5).toNanos()) {
            seen += consumer.poll(Duration.ofMillis(100)).count();
          }
          double secs = (System.nanoTime() - t0) / 1e9;
          System.out.printf("PROBE candidates=%d events=%d scores=%d in %.2f s (incl. startup): %.0f impressions/s, %.0f scores/s%n",
              candidates, events, seen, secs, events / secs, seen / secs);
        }
      }
    }
  }
}
