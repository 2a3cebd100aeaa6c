package io.ctrstreams.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.Score;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * stream. Runs {@link DemoRunner} with a 12 s snapshot interval for 60 s on free ports.
 */
@Tag("integration")
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class DemoRunnerIT {

  @Test
  void shouldHotSwapRecompressedVersionsInOrderWithCompressedAucCloseToFull() throws Exception {
    DemoOptions o = new DemoOptions(0, 0, 200, Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofSeconds(12),
        3000, Duration.ofSeconds(10), 1000, "fixed", 2, 3.0, 42, false);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    List<Score> scores = new ArrayList<>();
    List<LabeledExample> labeled = new ArrayList<>();
    Consumer<String> readTopics = bs -> {
      scores.addAll(readAll(bs, "scores", Schemas.SCORE::decode));
      labeled.addAll(readAll(bs, "labeled", Schemas.LABELED_EXAMPLE::decode));
    };
    DemoSummary s;
    try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      s = new DemoRunner(o, out).beforeShutdown(readTopics).run();
    }
    String text = buf.toString(StandardCharsets.UTF_8);
    System.out.println(text);

    assertThat(text).contains("ctr demo: embedded Kafka at localhost:").contains("/metrics");
    long statusLines = text.lines().filter(l -> l.matches("^\\[ *\\d+s\\] imp/s .*")).count();
    assertThat(statusLines).isGreaterThanOrEqualTo(5);
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
    assertThat(n).isGreaterThan(2000);
    double aucLive = BinaryMetrics.auc(live, y, n);
    double aucFull = BinaryMetrics.auc(full, y, n);
    System.out.printf("online AUC on %d labeled examples: compressed %.4f, full %.4f%n", n, aucLive, aucFull);
    assertThat(aucLive).isGreaterThan(0.6);
    assertThat(Math.abs(aucLive - aucFull)).isLessThanOrEqualTo(0.005);
  }

  /** Decoder of one record type. */
  private interface Decoder<T> {
    T decode(byte[] bytes, T reuse);
  }

  private static <T> List<T> readAll(String bootstrap, String topic, Decoder<T> decoder) {
    Map<String, Object> c = BrokerTestSupport.consumerConfig(bootstrap, BrokerTestSupport.uniqueName("demo-it"));
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<T> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      long deadline = System.currentTimeMillis() + 20_000;
      while (consumer.position(tp) < end && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(decoder.decode(r.value(), null));
        }
      }
    }
    return out;
  }
}
