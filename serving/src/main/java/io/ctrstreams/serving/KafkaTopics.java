package io.ctrstreams.serving;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
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
 * Creates topics if they are missing, against any cluster (embedded broker, docker, Strimzi):
 * {@link #ensure(List)} creates what the given services declare in
 * {@link ServiceConfig#requiredTopics()}, the one call the CLI and the demo make.
 *
 * <p>Idempotent: a topic that already exists is left as is (its configs are not altered; a
 * compacted models topic created by an operator stays the operator's business).
 */
public final class KafkaTopics {

  /** How long {@link #ensure} waits for the cluster by default. */
  public static final long DEFAULT_TIMEOUT_MS = 30_000;

  private KafkaTopics() {}

  /**
   * Creates every topic the {@code services} require that does not exist yet, through an admin
   * client built from the first one's {@link ServiceConfig#adminConfigs()}. A topic several
   * services require is created as the first one declares it (the one that owns it goes first).
   *
   * @return names of the topics this call created
   */
  public static Set<String> ensure(List<? extends ServiceConfig> services) {
    return ensure(services, DEFAULT_TIMEOUT_MS);
  }

  /** As {@link #ensure(List)} with an explicit timeout in milliseconds. */
  public static Set<String> ensure(List<? extends ServiceConfig> services, long timeoutMs) {
    Map<String, NewTopic> topics = new LinkedHashMap<>();
    for (ServiceConfig s : services) {
      s.requiredTopics().forEach(t -> topics.putIfAbsent(t.name(), t));
    }
    try (Admin admin = Admin.create(services.get(0).adminConfigs())) {
      return ensure(admin, topics.values(), timeoutMs);
    }
  }

  /**
   * Creates every topic in {@code topics} that does not exist yet.
   *
   * @return names of the topics this call created (empty when all existed)
   * @throws ServingException when creation fails for any other reason than "already exists"
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
        throw new ServingException("interrupted while creating topic " + e.getKey(), ex);
      }
    }
    if (!failures.isEmpty()) {
      throw new ServingException("cannot create topics: " + String.join("; ", failures));
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
