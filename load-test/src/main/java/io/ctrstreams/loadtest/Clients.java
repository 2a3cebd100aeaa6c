package io.ctrstreams.loadtest;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Kafka client settings the load test and the fault suite share (byte[] keys and values). */
public final class Clients {
  private Clients() {}

  /**
   * An idempotent producer (acks=all) with one request in flight: on a just-created partition a
   * first request can fail with a metadata error while later batches land, and an idempotent
   * retry of sequence 0 behind them is then refused forever; one at a time, the retry goes first.
   */
  public static Map<String, Object> idempotentProducer(String bootstrap, String clientId) {
    Map<String, Object> c = new HashMap<>();
    c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    c.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    return c;
  }

  /** A read_committed consumer without a group (the caller assigns partitions), nothing committed. */
  public static Map<String, Object> committedReader(String bootstrap, String clientId) {
    Map<String, Object> c = new HashMap<>();
    c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    if (clientId != null) {
      c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    }
    return c;
  }
}
