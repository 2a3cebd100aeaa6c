package io.ctrstreams.broker.testing;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.CommonClientConfigs;
import javax.management.JMException;
import javax.management.ObjectName;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Helpers for integration tests that run against an {@link EmbeddedKafkaBroker}, free of any
 * test-framework dependency so every module can use them.
 *
 * <p>Typical use: start one broker per test class in {@code @BeforeAll} with
 * {@link #startBroker()}, close it in {@code @AfterAll}, and give every test its own topic and
 * application id from {@link #uniqueName(String)}.
 */
public final class BrokerTestSupport {

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final String RUN_ID = UUID.randomUUID().toString().substring(0, 8);

  private BrokerTestSupport() {}

  /** Starts a broker on a free port with a temp log dir (deleted on close); ~2 s. */
  public static EmbeddedKafkaBroker startBroker() {
    return EmbeddedKafkaBroker.builder().port(0).build().start();
  }

  /** A topic / application id unique within this JVM and across runs: {@code prefix-ab12cd34-7}. */
  public static String uniqueName(String prefix) {
    return prefix + "-" + RUN_ID + "-" + COUNTER.incrementAndGet();
  }

  /** byte[]/byte[] producer config (acks=all, idempotent) for {@code bootstrap}. */
  public static Map<String, Object> producerConfig(String bootstrap) {
    Map<String, Object> c = new HashMap<>();
    c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // One request in flight: on a just-created partition the first produce request can fail with
    // a metadata error while later batches land; the idempotent producer then retries sequence 0
    // behind them and the broker answers OUT_OF_ORDER_SEQUENCE_NUMBER forever (seen once in CI:
    // ScoringTopologyIT's input producer never finished flushing). In order, one at a time, the
    // retry goes first.
    c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    return c;
  }

  /** byte[]/byte[] consumer config reading from the earliest offset, no group commits. */
  public static Map<String, Object> consumerConfig(String bootstrap, String groupId) {
    Map<String, Object> c = new HashMap<>();
    c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return c;
  }

  /**
   * Every record of every partition of {@code topic}, from the beginning to the end offsets at
   * call time, read with {@code isolationLevel} ({@code read_committed} ends at the last stable
   * offset and skips aborted records).
   *
   * @throws AssertionError if the end is not reached within {@link TestConditions#DEFAULT_TIMEOUT}
   */
  public static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic, String isolationLevel)
      throws InterruptedException {
    Map<String, Object> c = consumerConfig(bootstrap, uniqueName("read-all"));
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
      List<TopicPartition> tps = new ArrayList<>();
      consumer.partitionsFor(topic).forEach(p -> tps.add(new TopicPartition(topic, p.partition())));
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      return readToEnd(consumer);
    }
  }

  /** {@link #readAll(String, String, String)} with {@code read_committed}. */
  public static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic)
      throws InterruptedException {
    return readAll(bootstrap, topic, "read_committed");
  }

  /**
   * Polls {@code consumer} from its positions on its assigned partitions until every position has
   * reached the end offset it had at call time; returns the records in poll order.
   *
   * @throws AssertionError if that is not reached within {@link TestConditions#DEFAULT_TIMEOUT}
   */
  public static List<ConsumerRecord<byte[], byte[]>> readToEnd(Consumer<byte[], byte[]> consumer)
      throws InterruptedException {
    Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    TestConditions.waitFor(() -> {
      consumer.poll(Duration.ofMillis(100)).forEach(out::add);
      return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }, "consumer positions reach the end offsets " + end);
    return out;
  }

  /**
   * How many records the consumer with client id {@code clientId} in this JVM has returned from
   * {@code poll} so far (its {@code records-consumed-total} metric), 0 before it exists: a
   * caught-up signal for a service's consumer that the test cannot reach.
   */
  public static long recordsConsumed(String clientId) {
    try {
      // ids of letters, digits and '-' (uniqueName) need no JMX quoting
      ObjectName name = new ObjectName("kafka.consumer:type=consumer-fetch-manager-metrics,client-id=" + clientId);
      if (!ManagementFactory.getPlatformMBeanServer().isRegistered(name)) {
        return 0;
      }
      Object v = ManagementFactory.getPlatformMBeanServer().getAttribute(name, "records-consumed-total");
      return ((Number) v).longValue();
    } catch (JMException e) {
      throw new IllegalStateException("cannot read records-consumed-total of consumer " + clientId, e);
    }
  }
}
