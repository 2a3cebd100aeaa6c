package io.ctrstreams.serving;

import io.ctrstreams.model.delta.DeltaApplier.Outcome;
import io.ctrstreams.model.delta.ModelDelta;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds a served model's delta chain into its {@link ModelRegistry}: a scorer's half of the
 * incremental refresh. Keyframes are the versions the registry serves (from the models topic, hot
 * swapped as ever); each carries in its manifest the deltas topic offset where its chain starts
 * ({@link DeltaFollower#DELTA_OFFSET_KEY}). On every swap this follower seeks there and hands the
 * chain's deltas (records keyed by the registry's model name) to {@link
 * ModelRegistry#applyDelta}, which applies them copy-on-write and swaps the same version in with
 * the next delta sequence.
 *
 * <p>Chain faults: a gap, a hash mismatch or a malformed delta leaves the last good weights
 * serving; the follower counts it and resyncs once (seeks back to the chain's first delta:
 * duplicates are skipped, the missing link is read again). If the same delta fails again the
 * chain is broken for this scorer until the next version arrives. A delta ahead of the served
 * version (its keyframe not yet loaded) is read again after the swap, from the new chain's offset.
 *
 * <p>Restart: the registry serves the newest version (checkpoint or topic), the swap seeks to its
 * chain, and the chain is replayed: the scorer is bit-identical to the producer once caught up.
 * One thread with one consumer assigned to partition 0 of the deltas topic; no group.
 */
public final class ServedDeltaFollower implements RegistryListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServedDeltaFollower.class);

  private final ModelRegistry registry;
  private final byte[] key;
  private final TopicPartition deltas;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final ServiceThread worker = new ServiceThread();
  private final AtomicLong resyncs = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  /** Chain start to seek to before the next poll, or -1; set on swaps (any thread). */
  private volatile long pendingSeek = -1;
  private long chainStart = -1;
  private long chainVersion = -1;
  private long failedAt = -1;
  private boolean broken;

  /**
   * A follower (not started) feeding {@code registry}.
   *
   * @param clientConfig common client settings, at least {@code bootstrap.servers}
   * @param deltasTopic the deltas topic (one partition)
   */
  public ServedDeltaFollower(Map<String, Object> clientConfig, String deltasTopic, ModelRegistry registry) {
    this.registry = registry;
    this.key = registry.name().getBytes(StandardCharsets.UTF_8);
    this.deltas = new TopicPartition(deltasTopic, 0);
    Map<String, Object> c = new HashMap<>(ModelTopicFollower.consumerConfig(clientConfig,
        "ctr-served-deltas-" + registry.name()));
    c.put("max.partition.fetch.bytes", 16 << 20);
    this.consumer = new KafkaConsumer<>(c);
  }

  /** Starts following on thread {@code ctr-served-deltas-<model>}; seeks to the served version's chain if any. */
  public ServedDeltaFollower start() {
    worker.checkNotStarted("served delta follower");
    consumer.assign(List.of(deltas));
    consumer.seekToEnd(List.of(deltas)); // until a served version says where its chain starts
    registry.addListener(this);
    ServedModel now = registry.current();
    if (now != null) {
      onSwap(null, now);
    }
    worker.start("ctr-served-deltas-" + registry.name(), true, this::run,
        e -> LOG.error("delta follower of served model {} stopped", registry.name(), e));
    return this;
  }

  @Override
  public void onSwap(ServedModel previous, ServedModel current) {
    String at = current.metadata().get(DeltaFollower.DELTA_OFFSET_KEY);
    if (at != null && current.deltaSequence() == 0) {
      try {
        pendingSeek = Long.parseLong(at);
      } catch (NumberFormatException e) {
        LOG.warn("model {} v{}: {} is not an offset ({}); no deltas for this version", current.name(),
            current.version(), DeltaFollower.DELTA_OFFSET_KEY, at);
      }
    }
  }

  private void run() {
    while (!worker.stopping()) {
      long seek = pendingSeek;
      if (seek >= 0) {
        pendingSeek = -1;
        ServedModel s = registry.current();
        chainVersion = s == null ? -1 : s.version();
        chainStart = seek;
        broken = false;
        failedAt = -1;
        consumer.seek(deltas, seek);
      }
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        if (r.key() == null || !java.util.Arrays.equals(r.key(), key) || r.value() == null) {
          continue;
        }
        if (!onDelta(r)) {
          break; // seeked: the rest of this batch is read again
        }
        if (pendingSeek >= 0) {
          break;
        }
      }
    }
  }

  /** Applies one delta; false when it seeked (resync). */
  private boolean onDelta(ConsumerRecord<byte[], byte[]> r) {
    ModelDelta d;
    try {
      d = DeltaRecords.decode(r.value());
    } catch (ServingException e) {
      malformed.incrementAndGet();
      LOG.warn("malformed delta of {} at offset {}: {}", registry.name(), r.offset(), e.getMessage());
      return fault(Outcome.MALFORMED, r.offset());
    }
    if (broken && d.baseVersion() == chainVersion) {
      return true;
    }
    Outcome o = registry.applyDelta(d);
    if (o == null) {
      return true; // pinned
    }
    return o == Outcome.APPLIED || !o.needsResync() || o == Outcome.UNKNOWN_BASE || fault(o, r.offset());
  }

  private boolean fault(Outcome o, long offset) {
    if (chainStart < 0) {
      return true;
    }
    if (offset == failedAt) {
      broken = true;
      LOG.warn("delta chain of served {} v{} fails again at offset {} ({}): serving the last good weights until"
          + " the next version", registry.name(), chainVersion, offset, o);
      return true;
    }
    failedAt = offset;
    resyncs.incrementAndGet();
    LOG.warn("delta chain of served {} v{} broken at offset {} ({}): resync from offset {}", registry.name(),
        chainVersion, offset, o, chainStart);
    consumer.seek(deltas, chainStart);
    return false;
  }

  /** Deltas with outcome {@code o}: the registry's count, plus records that did not decode (malformed). */
  public long count(Outcome o) {
    return registry.deltaCount(o) + (o == Outcome.MALFORMED ? malformed.get() : 0);
  }

  /** Resyncs so far. */
  public long resyncs() {
    return resyncs.get();
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
