package io.ctrstreams.broker;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates topics if they are missing, against any cluster (embedded broker, docker, Strimzi).
 *
 * <p>Idempotent: a topic that already exists is left as is (its configs are not altered; a
 * compacted models topic created by an operator stays the operator's business).
 */
public final class KafkaTopics {

  /** How long {@link #ensure} waits for the cluster by default. */
  public static final long DEFAULT_TIMEOUT_MS = 30_000;

  private KafkaTopics() {}

  /**
   * Creates every topic in {@code topics} that does not exist yet.
   *
   * @return names of the topics this call created (empty when all existed)
   * @throws BrokerException when creation fails for any other reason than "already exists"
   */
  public static Set<String> ensure(Admin admin, Collection<NewTopic> topics) {
    return ensure(admin, topics, DEFAULT_TIMEOUT_MS);
  }

  /** As {@link #ensure(Admin, Collection)} with an explicit timeout in milliseconds. */
  public static Set<String> ensure(Admin admin, Collection<NewTopic> topics, long timeoutMs) {
    if (topics.isEmpty()) {
      return Set.of();
    }
    Map<String, KafkaFuture<Void>> futures = admin.createTopics(topics).values();
    Set<String> created = new LinkedHashSet<>();
    List<String> failures = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    for (Map.Entry<String, KafkaFuture<Void>> e : futures.entrySet()) {
      long left = Math.max(0, deadline - System.nanoTime());
      try {
        e.getValue().get(left, TimeUnit.NANOSECONDS);
        created.add(e.getKey());
      } catch (ExecutionException ex) {
        if (!(ex.getCause() instanceof TopicExistsException)) {
          failures.add(e.getKey() + ": " + ex.getCause());
        }
      } catch (TimeoutException ex) {
        failures.add(e.getKey() + ": no answer within " + timeoutMs + " ms");
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new BrokerException("interrupted while creating topic " + e.getKey(), ex);
      }
    }
    if (!failures.isEmpty()) {
      throw new BrokerException("cannot create topics: " + String.join("; ", failures));
    }
    return created;
  }

  /**
   * A compacted topic for model chunks, manifests and pins with the broker's default replication
   * factor: compaction keeps the latest value per key, and {@code min.compaction.lag.ms} keeps a
   * just-published version readable for a minute before the cleaner may touch it.
   */
  public static NewTopic compacted(String name, int partitions) {
    return new NewTopic(name, Optional.of(partitions), Optional.empty())
        .configs(
            Map.of(
                "cleanup.policy", "compact",
                "min.compaction.lag.ms", "60000",
                "segment.ms", "3600000"));
  }

  /** A delete-policy topic with the broker's default replication factor. */
  public static NewTopic plain(String name, int partitions) {
    return new NewTopic(name, Optional.of(partitions), Optional.empty());
  }
}
