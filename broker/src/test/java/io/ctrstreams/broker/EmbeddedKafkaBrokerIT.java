package io.ctrstreams.broker;

import static io.ctrstreams.broker.testing.BrokerTestSupport.producerConfig;
import static io.ctrstreams.broker.testing.BrokerTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.broker.testing.BrokerTestSupport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddedKafkaBrokerIT {

  private static EmbeddedKafkaBroker broker;

  @BeforeAll
  static void startBroker() {
    long t0 = System.nanoTime();
    broker = BrokerTestSupport.startBroker();
    System.out.printf("embedded broker started in %.0f ms%n", (System.nanoTime() - t0) / 1e6);
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  private static Admin admin() {
    return Admin.create(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
  }

  @Test
  void shouldRoundTripRecordsThroughProducerAndConsumer() throws Exception {
    String topic = uniqueName("roundtrip");
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producerConfig(broker.bootstrapServers()))) {
      for (int i = 0; i < 10; i++) {
        p.send(new ProducerRecord<>(topic, bytes("k" + i), bytes("v" + i))).get();
      }
    }
    List<String> values = consume(topic, "read_uncommitted");
    assertThat(values).containsExactly("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
  }

  @Test
  void shouldCommitTransactionsSoReadCommittedConsumersSeeOnlyCommittedRecords() throws Exception {
    String topic = uniqueName("tx");
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    Map<String, Object> config = producerConfig(broker.bootstrapServers());
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, uniqueName("txid"));
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(config)) {
      p.initTransactions();
      p.beginTransaction();
      p.send(new ProducerRecord<>(topic, bytes("a"), bytes("aborted")));
      p.flush();
      p.abortTransaction();
      p.beginTransaction();
      p.send(new ProducerRecord<>(topic, bytes("c"), bytes("committed")));
      p.commitTransaction();
    }
    assertThat(consume(topic, "read_committed")).containsExactly("committed");
  }

  @Test
  void shouldReleaseThePortOnCloseAndReportABusyPortClearly() throws Exception {
    EmbeddedKafkaBroker second = BrokerTestSupport.startBroker();
    int port = second.port();
    assertThat(second.logDir()).exists();
    var logDir = second.logDir();

    // While it runs, a second broker on the same port must fail with an actionable message.
    assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().port(port).build().start())
        .isInstanceOf(BrokerException.class)
        .hasMessage("port " + port + " is in use; pass --port");

    long t0 = System.nanoTime();
    second.close();
    System.out.printf("embedded broker closed in %.0f ms%n", (System.nanoTime() - t0) / 1e6);
    assertThat(second.isRunning()).isFalse();
    assertThat(logDir).doesNotExist();
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      assertThat(s.isBound()).isTrue();
    }
  }

  /** Every value on {@code topic}, read to its end offset (a positive signal: nothing left unread). */
  private static List<String> consume(String topic, String isolation) throws InterruptedException {
    List<String> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : BrokerTestSupport.readAll(broker.bootstrapServers(), topic, isolation)) {
      out.add(new String(r.value(), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
