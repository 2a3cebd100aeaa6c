package io.ctrstreams.trainer.online;

import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.trainer.data.RawField;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RawSchema;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Examples from the labeled topic (LabeledExample records written exactly once by the topology,
 * so read_committed), mapped onto a {@link RawSchema} by field name: numbers into numeric fields,
 * strings into categorical ones; fields the schema does not know are ignored, and a value of the
 * wrong kind counts as missing. {@link #commit()} (called after each snapshot) commits, per
 * partition, the offset after the last record handed out for training, so a restarted trainer
 * resumes exactly where its last published snapshot left off: records polled but still buffered
 * are read again, records already in a snapshot are not.
 */
public final class LabeledTopicExampleSource implements ExampleSource {
  private final RawSchema schema;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final ArrayDeque<Polled> buffer = new ArrayDeque<>();
  private final Map<TopicPartition, OffsetAndMetadata> handedOut = new HashMap<>();
  private final Map<String, Integer> ordinals = new HashMap<>();
  private long undecodable;

  /**
   * Subscribes to {@code topic}.
   *
   * @param consumerConfig a group consumer's config (ServiceConfig#consumerConfigs)
   */
  public LabeledTopicExampleSource(Map<String, Object> consumerConfig, String topic, RawSchema schema) {
    this(consumerConfig, topic, schema, null);
  }

  /**
   * Subscribes to {@code topic} with a rebalance listener (the data-parallel workers start a new
   * epoch on every assignment). Records buffered from partitions that are revoked are dropped.
   */
  public LabeledTopicExampleSource(Map<String, Object> consumerConfig, String topic, RawSchema schema,
      org.apache.kafka.clients.consumer.ConsumerRebalanceListener listener) {
    this.schema = schema;
    for (int i = 0; i < schema.size(); i++) {
      ordinals.put(schema.field(i).name(), i);
    }
    Map<String, Object> c = new HashMap<>(consumerConfig);
    c.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer = new KafkaConsumer<>(c);
    if (listener == null) {
      consumer.subscribe(List.of(topic));
    } else {
      consumer.subscribe(List.of(topic), new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(java.util.Collection<TopicPartition> parts) {
          buffer.removeIf(p -> parts.contains(p.partition()));
          parts.forEach(handedOut::remove);
          listener.onPartitionsRevoked(parts);
        }

        @Override
        public void onPartitionsAssigned(java.util.Collection<TopicPartition> parts) {
          listener.onPartitionsAssigned(parts);
        }

        @Override
        public void onPartitionsLost(java.util.Collection<TopicPartition> parts) {
          buffer.removeIf(p -> parts.contains(p.partition()));
          parts.forEach(handedOut::remove);
          listener.onPartitionsLost(parts);
        }
      });
    }
  }

  /**
   * Drops everything buffered and rewinds every assigned partition to its committed offset (a
   * new epoch resumes from the newest keyframe, whose offsets were committed with it).
   */
  public void rewindToCommitted() {
    buffer.clear();
    handedOut.clear();
    java.util.Set<TopicPartition> assigned = consumer.assignment();
    if (assigned.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assigned, Duration.ofSeconds(30));
    for (TopicPartition tp : assigned) {
      OffsetAndMetadata o = committed.get(tp);
      if (o != null) {
        consumer.seek(tp, o.offset());
      } else {
        consumer.seekToBeginning(List.of(tp));
      }
    }
  }

  /**
   * Keeps the group membership alive without taking records (assigned partitions paused for the
   * call): rebalance callbacks run here while a worker waits for the others' messages.
   */
  public void pollIdle(long ms) {
    java.util.Set<TopicPartition> assigned = consumer.assignment();
    consumer.pause(assigned);
    try {
      consumer.poll(Duration.ofMillis(ms));
    } finally {
      consumer.resume(consumer.assignment());
    }
  }

  /** The consumer group generation of the current assignment (-1 before one). */
  public int generationId() {
    return consumer.groupMetadata().generationId();
  }

  @Override
  public RawSchema schema() {
    return schema;
  }

  @Override
  public int next(RawRecord[] batch, long maxWaitMs) {
    long deadline = System.currentTimeMillis() + maxWaitMs;
    while (buffer.size() < batch.length) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0 && !buffer.isEmpty()) {
        break;
      }
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(Math.max(1, Math.min(left, 200))))) {
        if (r.value() == null) {
          continue;
        }
        try {
          buffer.add(new Polled(new TopicPartition(r.topic(), r.partition()), r.offset(),
              Schemas.LABELED_EXAMPLE.decode(r.value(), null)));
        } catch (RuntimeException e) {
          undecodable++;
        }
      }
      if (System.currentTimeMillis() >= deadline) {
        break;
      }
    }
    int n = 0;
    while (n < batch.length && !buffer.isEmpty()) {
      Polled p = buffer.poll();
      fill(p.example(), batch[n++]);
      handedOut.put(p.partition(), new OffsetAndMetadata(p.offset() + 1));
    }
    return n;
  }

  /** A decoded record and where it came from. */
  private record Polled(TopicPartition partition, long offset, LabeledExample example) {}

  private void fill(LabeledExample ex, RawRecord out) {
    out.clear();
    put(ex.getContext(), out);
    put(ex.getFeatures(), out);
    out.label = ex.getLabel() == 1 ? 1f : 0f;
    out.timestampMs = ex.getImpressionTimestampMs();
  }

  private void put(Map<String, Object> values, RawRecord out) {
    for (Map.Entry<String, Object> e : values.entrySet()) {
      Integer o = ordinals.get(e.getKey());
      if (o == null || e.getValue() == null) {
        continue;
      }
      RawField f = schema.field(o);
      Object v = e.getValue();
      if (f.numeric() && v instanceof Number num) {
        out.number[o] = num.doubleValue();
      } else if (!f.numeric() && v instanceof CharSequence cs) {
        out.category[o] = cs.toString();
      }
    }
  }

  /** Records that were not LabeledExamples and were skipped. */
  public long undecodable() {
    return undecodable;
  }

  @Override
  public void commit() {
    // Buffered, not yet trained records are re-read after a restart: commit only what was handed out.
    if (!handedOut.isEmpty()) {
      consumer.commitSync(new HashMap<>(handedOut));
    }
  }

  @Override
  public void close() {
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
