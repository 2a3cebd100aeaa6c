package io.ctrstreams.cli.demo;

import io.ctrstreams.model.eval.MetricsSnapshot;
import io.ctrstreams.model.eval.StreamingAuc;
import io.ctrstreams.model.eval.WindowedMetrics;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.Schemas;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the labeled topic (read_committed: the topology writes it exactly once) and keeps online
 * AUC / logloss of the live (compressed) model and of the shadow (full) model on the same
 * examples, over a sliding event-time window and over the whole run, plus the live versions seen.
 * Thread {@code ctr-demo-labels}; readers call the synchronized getters.
 */
final class LabelWatcher implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String topic;
  private final WindowedMetrics liveWindow;
  private final WindowedMetrics shadowWindow;
  private final StreamingAuc liveAll = new StreamingAuc();
  private final StreamingAuc shadowAll = new StreamingAuc();
  private final StreamingAuc rpcAll = new StreamingAuc();
  private final StreamingAuc streamAll = new StreamingAuc();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Thread thread;
  private long labeled;
  private long paired;
  private long lastLiveVersion = -1;
  private long lastEventMs;
  private final java.util.TreeSet<Long> liveVersions = new java.util.TreeSet<>();

  LabelWatcher(Map<String, Object> clientConfig, String topic, String groupId, long windowMs) {
    Map<String, Object> c = new HashMap<>(clientConfig);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, "ctr-demo-labels");
    this.consumer = new KafkaConsumer<>(c);
    this.topic = topic;
    this.liveWindow = new WindowedMetrics(windowMs);
    this.shadowWindow = new WindowedMetrics(windowMs);
    this.thread = new Thread(this::run, "ctr-demo-labels");
    this.thread.setDaemon(true);
  }

  LabelWatcher start() {
    thread.start();
    return this;
  }

  private void run() {
    try {
      consumer.subscribe(List.of(topic));
      while (!stop.get()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value() == null) {
            continue;
          }
          LabeledExample ex;
          try {
            ex = Schemas.LABELED_EXAMPLE.decode(r.value(), null);
          } catch (RuntimeException e) {
            continue;
          }
          add(ex);
        }
      }
    } catch (WakeupException e) {
      // closing
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  private synchronized void add(LabeledExample ex) {
    boolean y = ex.getLabel() == 1;
    long t = ex.getImpressionTimestampMs();
    lastEventMs = Math.max(lastEventMs, t);
    labeled++;
    liveVersions.add(ex.getModelVersion());
    lastLiveVersion = ex.getModelVersion();
    // the live model's pCTR by the path that served it: ctr serve ("rpc") or the topology
    (io.ctrstreams.server.ImpressionLog.SOURCE.equals(ex.getSource()) ? rpcAll : streamAll).add(ex.getServedPctr(), y);
    if (ex.getShadowPctr() != null) {
      // only examples scored by both enter the comparison, so both AUCs see the same rows
      paired++;
      liveWindow.add(t, ex.getServedPctr(), y);
      shadowWindow.add(t, ex.getShadowPctr(), y);
      liveAll.add(ex.getServedPctr(), y);
      shadowAll.add(ex.getShadowPctr(), y);
    }
  }

  /** Labeled examples read. */
  synchronized long labeled() {
    return labeled;
  }

  /** Examples with both a live and a shadow pCTR. */
  synchronized long paired() {
    return paired;
  }

  /** Live versions that served labeled examples. */
  synchronized List<Long> liveVersions() {
    return List.copyOf(liveVersions);
  }

  /** Live version of the newest labeled example, or -1. */
  synchronized long lastLiveVersion() {
    return lastLiveVersion;
  }

  /** {live, shadow} over the sliding window. */
  synchronized MetricsSnapshot[] window() {
    return new MetricsSnapshot[] {liveWindow.snapshot(lastEventMs), shadowWindow.snapshot(lastEventMs)};
  }

  /** {live, shadow} over the whole run. */
  synchronized MetricsSnapshot[] overall() {
    return new MetricsSnapshot[] {snapshot(liveAll), snapshot(shadowAll)};
  }

  /** The live model over the whole run, {impressions served by ctr serve, by the topology}. */
  synchronized MetricsSnapshot[] bySource() {
    return new MetricsSnapshot[] {snapshot(rpcAll), snapshot(streamAll)};
  }

  private static MetricsSnapshot snapshot(StreamingAuc a) {
    return new MetricsSnapshot(a.auc(), a.logloss(), a.calibration(), a.count(), a.positives());
  }

  @Override
  public void close() {
    stop.set(true);
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
