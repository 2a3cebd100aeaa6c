package io.ctrstreams.serving;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a models topic (the models topic, or the trainer's model-updates topic) with a plain
 * consumer on its own named thread and hands every record to a sink: a {@link ModelFeed} for the
 * hot-swap path of processes that are not Kafka Streams apps (load generator, benchmarks, tools),
 * or any other consumer of assembled versions (the recompressor). Kafka Streams apps use a global
 * store processor instead.
 *
 * <p>Reads every partition from the beginning (no consumer group, nothing committed), so a
 * restart replays the retained versions like a global store does.
 */
public final class ModelTopicFollower implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ModelTopicFollower.class);

  /** Receives the records of the followed topic, in order, on the follower's thread. */
  @FunctionalInterface
  public interface RecordSink {
    /** One record; {@code value} is null for a tombstone. */
    void accept(String key, byte[] value);
  }

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final RecordSink sink;
  private final Thread thread;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile Throwable failure;

  /**
   * Creates (not starts) a follower.
   *
   * @param clientConfig common client settings, at least {@code bootstrap.servers}
   * @param topic the topic to follow
   * @param sink where records go, e.g. {@code feed::accept}; called only from this follower's thread
   */
  public ModelTopicFollower(Map<String, Object> clientConfig, String topic, RecordSink sink) {
    this.topic = Objects.requireNonNull(topic, "topic");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.consumer = new KafkaConsumer<>(consumerConfig(clientConfig, "ctr-model-follower"));
    this.thread = new Thread(this::run, "ctr-model-follower-" + topic);
    thread.setDaemon(true);
  }

  /**
   * Settings of a consumer that reads a models topic without a group (assign + seek, nothing
   * committed), one chunk per fetch ({@link ModelPublisher#FETCH_BYTES}).
   */
  static Map<String, Object> consumerConfig(Map<String, Object> clientConfig, String defaultClientId) {
    Map<String, Object> c = new HashMap<>(clientConfig);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, defaultClientId);
    c.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, ModelPublisher.FETCH_BYTES);
    return c;
  }

  /** Starts following; returns at once. */
  public ModelTopicFollower start() {
    thread.start();
    return this;
  }

  /**
   * Waits until every record that existed at start has been fed.
   *
   * @return false on timeout
   * @throws ServingException when the follower thread died
   */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    boolean ok = caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (failure != null) {
      throw new ServingException("model follower of topic " + topic + " failed", failure);
    }
    return ok;
  }

  /** What stopped the follower thread (the topic is missing, the sink threw...), or null. */
  public Throwable failure() {
    return failure;
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    DecodePriority.lowerCurrentThread(); // decodes take only CPU the scorers leave
    try {
      List<TopicPartition> tps = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(topic, p.partition()))
          .collect(Collectors.toList());
      if (tps.isEmpty()) {
        throw new ServingException("topic " + topic + " has no partitions (does it exist?)");
      }
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> end = consumer.endOffsets(tps);
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.key() == null) {
            continue;
          }
          sink.accept(new String(r.key(), StandardCharsets.UTF_8), r.value());
        }
        if (caughtUp.getCount() > 0
            && tps.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp))) {
          caughtUp.countDown();
        }
      }
    } catch (WakeupException e) {
      // close() asked us to stop
    } catch (RuntimeException e) {
      failure = e;
      LOG.error("model follower of topic {} stopped", topic, e);
    } finally {
      caughtUp.countDown();
      consumer.close();
    }
  }
}
