package io.ctrstreams.serving;

import io.ctrstreams.model.delta.DeltaApplier;
import io.ctrstreams.model.delta.DeltaApplier.Outcome;
import io.ctrstreams.model.delta.DeltaState;
import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.model.format.ModelFile;
import io.ctrstreams.model.format.ReadOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconstructs one model's weights from its keyframes (full snapshots on the model-updates topic,
 * chunk transport) and its delta chain (the model-deltas topic), on one thread with one consumer
 * assigned to both topics (no group, nothing committed).
 *
 * <p>Chain rules ({@link DeltaApplier}): a delta is applied only on its keyframe and in sequence,
 * and its hash must match afterwards. When a newer keyframe is assembled the follower starts its
 * chain and seeks the deltas topic to the offset the keyframe's manifest records ({@code
 * delta.offset}), so deltas read before their keyframe arrived are read again. After a gap, a
 * hash mismatch or a malformed delta it <b>resyncs</b>: back to the newest keyframe and its chain's
 * first offset; if the same delta fails again the chain is broken for this follower, which keeps
 * the last good weights until the next keyframe. Every outcome is counted.
 *
 * <p>A restart reads the model-updates topic from the beginning (compacted: the newest keyframes),
 * then the deltas from the newest keyframe's offset: it is bit-identical again once caught up.
 */
public final class DeltaFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DeltaFollower.class);

  /** Manifest metadata key of a keyframe: the offset of its chain's first delta (written by the producer). */
  public static final String DELTA_OFFSET_KEY = "delta.offset";
  /** Manifest metadata key of a keyframe: the topic of its delta chain. */
  public static final String DELTA_TOPIC_KEY = "delta.topic";

  /** Observes the reconstruction; called on the follower's thread. */
  public interface Listener {
    /** A keyframe started a chain (also on a resync). */
    default void onKeyframe(long version, DeltaState state) {}

    /** A delta was applied; {@code state} is the producer's {@code w} after it. */
    default void onApplied(ModelDelta delta, DeltaState state) {}

    /** A delta was refused (duplicates and old chains included). */
    default void onRefused(ModelDelta delta, Outcome outcome) {}
  }

  private final String model;
  private final TopicPartition updates;
  private final TopicPartition deltas;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final ModelChunkAssembler assembler = new ModelChunkAssembler();
  private final DeltaApplier applier = new DeltaApplier();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final Map<Outcome, AtomicLong> outcomes = new EnumMap<>(Outcome.class);
  private final AtomicLong resyncs = new AtomicLong();
  private final ServiceThread worker = new ServiceThread();
  private ModelFile keyframe;
  private long keyframeVersion = -1;
  private long chainStart;
  private long failedAt = -1;
  private boolean broken;
  private volatile long lastCreatedAtMs;

  /**
   * A follower (not started) of {@code model}.
   *
   * @param clientConfig common client settings, at least {@code bootstrap.servers}
   * @param updatesTopic the keyframes' topic (one partition)
   * @param deltasTopic the deltas topic (one partition)
   */
  public DeltaFollower(Map<String, Object> clientConfig, String updatesTopic, String deltasTopic, String model) {
    this.model = ModelKeys.checkModelName(model);
    this.updates = new TopicPartition(updatesTopic, 0);
    this.deltas = new TopicPartition(deltasTopic, 0);
    Map<String, Object> c = new HashMap<>(ModelTopicFollower.consumerConfig(clientConfig, "ctr-delta-follower"));
    c.put("max.partition.fetch.bytes", 16 << 20); // a delta record may be larger than a chunk
    this.consumer = new KafkaConsumer<>(c);
    for (Outcome o : Outcome.values()) {
      outcomes.put(o, new AtomicLong());
    }
  }

  /** Adds a listener (before {@link #start()}). */
  public DeltaFollower addListener(Listener l) {
    listeners.add(Objects.requireNonNull(l, "listener"));
    return this;
  }

  /** Starts following on thread {@code ctr-delta-follower}. */
  public DeltaFollower start() {
    worker.checkNotStarted("delta follower");
    consumer.assign(List.of(updates, deltas));
    consumer.seekToBeginning(List.of(updates));
    consumer.seekToEnd(List.of(deltas)); // until a keyframe says where its chain starts
    worker.start("ctr-delta-follower", true, this::run, e -> LOG.error("delta follower of {} stopped", model, e));
    return this;
  }

  private void run() {
    while (!worker.stopping()) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        if (r.topic().equals(updates.topic())) {
          onUpdate(r);
        } else {
          onDelta(r);
        }
      }
    }
  }

  private void onUpdate(ConsumerRecord<byte[], byte[]> r) {
    if (r.key() == null) {
      return;
    }
    AssemblyResult a = assembler.accept(new String(r.key(), StandardCharsets.UTF_8), r.value());
    if (a instanceof AssemblyResult.Assembled k && k.model().equals(model) && k.version() > keyframeVersion) {
      try {
        keyframe = CtrmFormat.read(k.copyInto(null), ReadOptions.defaults());
      } catch (RuntimeException e) {
        LOG.warn("keyframe {} v{} not readable, chain not started: {}", model, k.version(), e.toString());
        return;
      }
      keyframeVersion = k.version();
      String at = k.manifest().getMetadata().get(DELTA_OFFSET_KEY);
      chainStart = at == null ? consumer.position(deltas) : Long.parseLong(at);
      startChain();
    }
  }

  /** Resets the weights to the newest keyframe and reads its chain from the start. */
  private void startChain() {
    applier.keyframe(keyframeVersion, keyframe);
    broken = false;
    consumer.seek(deltas, chainStart);
    for (Listener l : listeners) {
      l.onKeyframe(keyframeVersion, applier.state());
    }
  }

  private void onDelta(ConsumerRecord<byte[], byte[]> r) {
    if (r.key() == null || !model.equals(new String(r.key(), StandardCharsets.UTF_8))) {
      return;
    }
    ModelDelta d;
    try {
      d = DeltaRecords.decode(r.value());
    } catch (ServingException e) {
      count(null, Outcome.MALFORMED, r.offset());
      return;
    }
    if (broken && d.baseVersion() == keyframeVersion) {
      return; // this chain failed twice at the same delta: wait for the next keyframe
    }
    Outcome o = applier.apply(d);
    if (o == Outcome.APPLIED) {
      outcomes.get(o).incrementAndGet();
      lastCreatedAtMs = d.createdAtMs();
      for (Listener l : listeners) {
        l.onApplied(d, applier.state());
      }
      return;
    }
    count(d, o, r.offset());
  }

  private void count(ModelDelta d, Outcome o, long offset) {
    outcomes.get(o).incrementAndGet();
    if (d != null) {
      listeners.forEach(l -> l.onRefused(d, o));
    }
    if (o == Outcome.UNKNOWN_BASE || !o.needsResync() || keyframe == null) {
      return; // a delta ahead of its keyframe is read again from the keyframe's offset
    }
    if (offset == failedAt) {
      broken = true;
      LOG.warn("delta chain of {} on keyframe v{} fails again at offset {} ({}): keeping the last good weights"
          + " until the next keyframe", model, keyframeVersion, offset, o);
      return;
    }
    failedAt = offset;
    resyncs.incrementAndGet();
    LOG.warn("delta chain of {} broken at offset {} ({}): resync from keyframe v{}", model, offset, o, keyframeVersion);
    startChain();
  }

  /** Deltas with outcome {@code o} so far. */
  public long count(Outcome o) {
    return outcomes.get(o).get();
  }

  /** Resyncs so far. */
  public long resyncs() {
    return resyncs.get();
  }

  /** Creation time of the last applied delta (ms since the epoch), 0 before any. */
  public long lastAppliedCreatedAtMs() {
    return lastCreatedAtMs;
  }

  /** What stopped the thread, or null. */
  public Throwable failure() {
    return worker.failure();
  }

  @Override
  public void close() {
    worker.stop(30_000);
    consumer.close();
  }

}
