package io.ctrstreams.topology;

import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the cluster for the application's {@link InputProgress} every interval on a daemon
 * thread (one admin client; two requests per poll, a third while some partition has no committed
 * offset) and exports it:
 * {@code ctr_input_lag_records{topic,partition}} (records after the group's committed offset),
 * {@code ctr_input_stalled_seconds{topic,partition}} (how long the committed offset has not moved
 * while records waited) and {@code ctr_input_partitions_stalled} (partitions stalled for at
 * least the threshold). {@link #detail()} lists the stalled partitions for {@code /health/ready}.
 * A failed poll is logged and retried at the next interval; the last observation stays.
 */
public final class InputProgressMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InputProgressMonitor.class);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  private final Admin admin;
  private final String groupId;
  private final List<String> topics;
  private final InputProgress progress;
  private final LongSupplier clock;
  private final ScheduledExecutorService executor;
  private final Gauge lag;
  private final Gauge stalledSeconds;
  private final Gauge stalledCount;
  private List<TopicPartition> partitions;
  private volatile String lastError = "";

  /**
   * A monitor (not started).
   *
   * @param adminConfig admin client settings
   * @param groupId the application's consumer group ({@code application.id})
   * @param topics the input topics
   * @param thresholdMs stall threshold
   * @param registry where the metrics go
   */
  public InputProgressMonitor(Map<String, Object> adminConfig, String groupId, List<String> topics,
      long thresholdMs, PrometheusRegistry registry) {
    this.admin = Admin.create(adminConfig);
    this.groupId = groupId;
    this.topics = List.copyOf(topics);
    this.progress = new InputProgress(thresholdMs);
    this.clock = System::currentTimeMillis;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ctr-input-progress");
      t.setDaemon(true);
      return t;
    });
    lag = Gauge.builder().name("ctr_input_lag_records")
        .help("Records of an input partition after the application's committed offset (the group's view:"
            + " every instance reports every partition).")
        .labelNames("topic", "partition").register(registry);
    stalledSeconds = Gauge.builder().name("ctr_input_stalled_seconds").unit(Unit.SECONDS)
        .help("How long the committed offset of an input partition has not moved while records waited"
            + " (0 while it moves): no live owner makes progress on it.")
        .labelNames("topic", "partition").register(registry);
    stalledCount = Gauge.builder().name("ctr_input_partitions_stalled")
        .help("Input partitions stalled for at least health.stall.threshold.ms: records wait and no live"
            + " owner commits (an instance died and the group has not reassigned its partitions yet).")
        .register(registry);
  }

  /** Starts polling every {@code interval}. */
  public InputProgressMonitor start(Duration interval) {
    executor.scheduleWithFixedDelay(this::pollQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** One poll (also for tests): reads offsets and updates progress and metrics. */
  void poll() throws Exception {
    if (partitions == null) {
      List<TopicPartition> tps = new ArrayList<>();
      for (TopicDescription d : admin.describeTopics(topics).allTopicNames()
          .get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).values()) {
        d.partitions().forEach(p -> tps.add(new TopicPartition(d.name(), p.partition())));
      }
      partitions = tps;
    }
    Map<TopicPartition, OffsetAndMetadata> group = admin.listConsumerGroupOffsets(groupId)
        .partitionsToOffsetAndMetadata().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    Map<TopicPartition, Long> committed = new HashMap<>();
    group.forEach((tp, om) -> {
      if (om != null) {
        committed.put(tp, om.offset());
      }
    });
    Map<TopicPartition, Long> end = offsets(partitions, OffsetSpec.latest());
    // the log start matters only where the group has committed nothing yet
    List<TopicPartition> uncommitted = partitions.stream().filter(tp -> !committed.containsKey(tp)).toList();
    Map<TopicPartition, Long> start = uncommitted.isEmpty() ? Map.of() : offsets(uncommitted, OffsetSpec.earliest());
    progress.observe(committed, start, end, clock.getAsLong());
    int stalled = 0;
    for (InputProgress.Partition p : progress.partitions()) {
      String[] labels = {p.partition().topic(), Integer.toString(p.partition().partition())};
      lag.labelValues(labels).set(p.lag());
      stalledSeconds.labelValues(labels).set(p.stalledMs() / 1e3);
      if (p.stalledMs() >= progress.thresholdMs()) {
        stalled++;
      }
    }
    stalledCount.set(stalled);
  }

  private Map<TopicPartition, Long> offsets(List<TopicPartition> of, OffsetSpec spec) throws Exception {
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    of.forEach(tp -> request.put(tp, spec));
    Map<TopicPartition, ListOffsetsResultInfo> r = admin.listOffsets(request,
        new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    Map<TopicPartition, Long> out = new HashMap<>();
    r.forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  private void pollQuietly() {
    try {
      poll();
      lastError = "";
    } catch (Exception e) {
      partitions = null; // topics may have changed: describe them again
      String msg = e.toString();
      if (!msg.equals(lastError)) {
        LOG.warn("input progress of group {} not read: {}", groupId, msg);
      }
      lastError = msg;
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The stalled partitions of the last observation. */
  List<InputProgress.Partition> stalled() {
    return progress.stalled();
  }

  /**
   * One line per stalled partition for {@code /health/ready}, e.g. {@code stalled=impressions-2
   * lag=1200 for=23s}; empty when none is.
   */
  public String detail() {
    StringBuilder b = new StringBuilder();
    for (InputProgress.Partition p : progress.stalled()) {
      b.append("stalled=").append(p.partition()).append(" lag=").append(p.lag())
          .append(" for=").append(p.stalledMs() / 1000).append("s\n");
    }
    return b.toString();
  }

  @Override
  public void close() {
    executor.shutdownNow();
    admin.close(Duration.ofSeconds(5));
  }
}
