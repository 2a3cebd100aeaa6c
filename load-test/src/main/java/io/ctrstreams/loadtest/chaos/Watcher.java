package io.ctrstreams.loadtest.chaos;

import io.ctrstreams.loadtest.Clients;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.Score;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * The suite's eyes during one case, on its own thread: a {@code read_committed} consumer of the
 * scores and DLQ topics (assigned, from the beginning, no group) feeding the {@link ScoreLedger},
 * and a health probe of every watched service twice a second that remembers the first crash.
 */
final class Watcher {
  /** Scores whose key is longer than this are the hostile 1 MB record's (never in the ledger). */
  static final int HUGE_KEY = 10_000;

  private final ScoreLedger ledger;
  private final long expectedVersion;
  private final KafkaConsumer<byte[], byte[]> scores;
  private final KafkaConsumer<byte[], byte[]> dlq;
  private final List<Services.Topology> topologies = new CopyOnWriteArrayList<>();
  private final Services services;
  private final Map<String, String> dlqReasonByKey = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean stop;
  private volatile String crash = "";
  private volatile long hugeScores;
  private volatile long otherVersionScores;
  private volatile long lastScoreNanos = System.nanoTime();

  Watcher(Services services, ScoreLedger ledger, String scoresTopic, String dlqTopic, long expectedVersion) {
    this.services = services;
    this.ledger = ledger;
    this.expectedVersion = expectedVersion;
    this.scores = consumer(services.bootstrap(), scoresTopic, "scores");
    this.dlq = consumer(services.bootstrap(), dlqTopic, "dlq");
    this.thread = new Thread(this::loop, "ctr-chaos-watcher");
    thread.setDaemon(true);
    thread.start();
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String topic, String what) {
    KafkaConsumer<byte[], byte[]> k = new KafkaConsumer<>(Clients.committedReader(bootstrap, "ctr-chaos-" + what));
    List<TopicPartition> tps = new ArrayList<>();
    k.partitionsFor(topic, Duration.ofSeconds(60)).forEach(p -> tps.add(new TopicPartition(topic, p.partition())));
    k.assign(tps);
    k.seekToBeginning(tps);
    return k;
  }

  /** Probes {@code t} for crashes from now on (also after it is restarted). */
  void watch(Services.Topology t) {
    topologies.add(t);
  }

  /** The first crash seen ("" when none). */
  String crash() {
    return crash;
  }

  /** The DLQ reason ({@code ctr.dlq.reason}) of the dead letter with this key, or null. */
  String dlqReason(String key) {
    return dlqReasonByKey.get(key);
  }

  /** Scores of the hostile record (key longer than {@value #HUGE_KEY} chars). */
  long hugeScores() {
    return hugeScores;
  }

  /** Scores stamped with another model version than the expected one. */
  long otherVersionScores() {
    return otherVersionScores;
  }

  /** Nanoseconds since the last score arrived. */
  long nanosSinceLastScore() {
    return System.nanoTime() - lastScoreNanos;
  }

  private void loop() {
    long nextProbe = 0;
    while (!stop) {
      try {
        for (ConsumerRecord<byte[], byte[]> r : scores.poll(Duration.ofMillis(100))) {
          onScore(r);
        }
        for (ConsumerRecord<byte[], byte[]> r : dlq.poll(Duration.ofMillis(20))) {
          Header h = r.headers().lastHeader("ctr.dlq.reason");
          dlqReasonByKey.put(r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8),
              h == null ? "?" : new String(h.value(), StandardCharsets.UTF_8));
        }
      } catch (RuntimeException e) {
        // the broker may be down (the broker case): the consumers reconnect on the next poll
      }
      if (System.nanoTime() > nextProbe) {
        probe();
        nextProbe = System.nanoTime() + 500_000_000L;
      }
    }
  }

  private void onScore(ConsumerRecord<byte[], byte[]> r) {
    long now = System.currentTimeMillis();
    lastScoreNanos = System.nanoTime();
    if (r.key() != null && r.key().length > HUGE_KEY) {
      hugeScores++;
      return;
    }
    Score s = Schemas.SCORE.decode(r.value(), null);
    if (s.getModelVersion() != expectedVersion) {
      otherVersionScores++;
    }
    synchronized (ledger) {
      ledger.score(r.partition(), s.getEventId(), s.getAdId(), s.getScoredAtMs(), now);
    }
  }

  private void probe() {
    if (!crash.isEmpty()) {
      return;
    }
    ChildJvm b = services.broker();
    if (b != null && b.diedByItself()) {
      crash = "broker exited by itself";
      return;
    }
    for (Services.Topology t : topologies) {
      String c = t.crash();
      if (!c.isEmpty()) {
        crash = c;
        return;
      }
    }
  }

  void close() throws InterruptedException {
    stop = true;
    thread.join(30_000);
    scores.close();
    dlq.close();
  }
}
