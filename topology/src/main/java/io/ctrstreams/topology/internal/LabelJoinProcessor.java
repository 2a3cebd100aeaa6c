package io.ctrstreams.topology.internal;

import io.ctrstreams.schemas.Click;
import io.ctrstreams.schemas.LabelJoinBinary;
import io.ctrstreams.schemas.LabelJoinEvent;
import io.ctrstreams.schemas.LabelJoinState;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.ServedCandidate;
import io.ctrstreams.schemas.ServedImpression;
import io.ctrstreams.topology.LabelListener;
import io.ctrstreams.topology.TopologyMetrics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import io.ctrstreams.schemas.Schemas;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Joins served impressions with clicks into labeled examples, on <b>stream time</b> (Kafka
 * record timestamps): deterministic, replayable and testable, unlike wall clock; the cost is that
 * a partition without new records does not advance, so its negatives wait for the next record.
 *
 * <ul>
 *   <li>A click on a served candidate within {@code window} ms of the impression's record time
 *       emits a positive at once (first click per ad; repeats are counted as duplicates).
 *   <li>A click that arrives before its impression (possible across the repartition) is kept
 *       as pending for up to one window and applied when the impression arrives.
 *   <li>A punctuator (stream time, every {@code interval} ms) closes impressions whose window
 *       has passed: every candidate not clicked becomes a negative, the state is deleted.
 *       Pending clicks whose impression never came are dropped (reason orphan).
 * </ul>
 *
 * State: {@code label-join-state} (impression id -> {@link LabelJoinState}) and
 * {@code label-join-expiry} (8-byte big-endian expiry time + id -> empty), a time index so
 * each punctuation reads only what is due, in expiry order.
 */
public final class LabelJoinProcessor implements Processor<byte[], byte[], byte[], LabeledExample> {
  /** Name of the state store. */
  public static final String STATE_STORE = "label-join-state";
  /** Name of the expiry index store. */
  public static final String EXPIRY_STORE = "label-join-expiry";
  /** Cap on clicks kept for an impression not yet seen (bounds state per id). */
  static final int MAX_PENDING_CLICKS = 64;

  private static final byte[] EMPTY = new byte[0];

  private final long windowMs;
  private final long punctuateMs;
  private final TopologyMetrics metrics;
  private final LabelListener listener;
  private ProcessorContext<byte[], LabeledExample> context;
  private KeyValueStore<String, byte[]> state;
  private KeyValueStore<Bytes, byte[]> expiry;

  /** A join with an attribution window and a punctuation interval, in ms. */
  public LabelJoinProcessor(long windowMs, long punctuateMs, TopologyMetrics metrics, LabelListener listener) {
    this.windowMs = windowMs;
    this.punctuateMs = punctuateMs;
    this.metrics = metrics;
    this.listener = listener;
  }

  @Override
  public void init(ProcessorContext<byte[], LabeledExample> context) {
    this.context = context;
    this.state = context.getStateStore(STATE_STORE);
    this.expiry = context.getStateStore(EXPIRY_STORE);
    context.schedule(Duration.ofMillis(punctuateMs), PunctuationType.STREAM_TIME, this::closeExpired);
  }

  /**
   * One {@code LabelJoinEvent} (single-object bytes). A served impression seen for the first time
   * (the common case) is stored as it came ({@link LabelJoinBinary#fresh}), without decoding it;
   * everything else is decoded.
   */
  @Override
  public void process(Record<byte[], byte[]> record) {
    byte[] bytes = record.value();
    if (bytes == null) {
      return;
    }
    LabelJoinBinary.Fresh fresh = LabelJoinBinary.fresh(bytes, record.timestamp());
    if (fresh != null && state.get(fresh.eventId()) == null) {
      state.put(fresh.eventId(), fresh.state());
      expiry.put(expiryKey(record.timestamp() + windowMs, fresh.eventId()), EMPTY);
      return;
    }
    LabelJoinEvent ev = Schemas.LABEL_JOIN_EVENT.decode(bytes, null);
    if (ev.getServed() != null) {
      onServed(ev.getServed(), record.timestamp());
    } else if (ev.getClick() != null) {
      onClick(ev.getClick(), record.timestamp());
    }
  }

  private void onServed(ServedImpression s, long ts) {
    String id = s.getEventId();
    LabelJoinState st = getState(id);
    if (st == null) {
      st = newState(ts);
    } else if (st.getServed() != null) {
      return; // the same impression served twice (e.g. re-sent input): the first one counts
    }
    st.setServed(s);
    st.setServedAtMs(ts);
    List<Click> pending = st.getPendingClicks();
    st.setPendingClicks(new ArrayList<>());
    for (Click c : pending) {
      applyClick(st, c, ts);
    }
    putState(id, st);
    expiry.put(expiryKey(ts + windowMs, id), EMPTY);
  }

  private void onClick(Click c, long ts) {
    String id = c.getImpressionId();
    LabelJoinState st = getState(id);
    if (st == null) {
      st = newState(ts);
      st.getPendingClicks().add(c);
      putState(id, st);
      expiry.put(expiryKey(ts + windowMs, id), EMPTY);
      return;
    }
    if (st.getServed() == null) {
      if (st.getPendingClicks().size() >= MAX_PENDING_CLICKS) {
        metrics.clickDropped("duplicate");
        return;
      }
      st.getPendingClicks().add(c);
      putState(id, st);
      return;
    }
    if (ts > st.getServedAtMs() + windowMs) {
      metrics.clickDropped("late"); // window over but not yet punctuated: same answer as after
      return;
    }
    if (applyClick(st, c, ts)) {
      putState(id, st);
    }
  }

  /** Emits a positive for {@code c} if it names an unlabeled candidate; true if state changed. */
  private boolean applyClick(LabelJoinState st, Click c, long now) {
    ServedImpression s = st.getServed();
    ServedCandidate hit = null;
    for (ServedCandidate sc : s.getCandidates()) {
      if (sc.getAdId().equals(c.getAdId())) {
        hit = sc;
        break;
      }
    }
    if (hit == null) {
      metrics.clickDropped("unknown_ad");
      return false;
    }
    if (st.getClickedAdIds().contains(c.getAdId())) {
      metrics.clickDropped("duplicate");
      return false;
    }
    st.getClickedAdIds().add(c.getAdId());
    emit(s, hit, 1, c.getTimestampMs(), Math.max(now, st.getServedAtMs()));
    return true;
  }

  private void emit(ServedImpression s, ServedCandidate c, int label, Long clickTs, long now) {
    LabeledExample ex =
        LabeledExample.newBuilder()
            .setEventId(s.getEventId())
            .setAdId(c.getAdId())
            .setContext(s.getContext())
            .setFeatures(c.getFeatures())
            .setLabel(label)
            .setServedPctr(c.getPctr())
            .setShadowPctr(c.getShadowPctr())
            .setModelName(s.getModelName())
            .setModelVersion(s.getModelVersion())
            .setShadowModelVersion(s.getShadowModelVersion())
            .setImpressionTimestampMs(s.getTimestampMs())
            .setClickTimestampMs(clickTs)
            .setLabeledAtMs(now)
            .setSource(s.getSource())
            .build();
    metrics.labeled(label);
    listener.onLabel(ex);
    context.forward(new Record<>(s.getEventId().getBytes(StandardCharsets.UTF_8), ex, now));
  }

  /** Closes every impression whose window ended at or before stream time {@code now}. */
  void closeExpired(long now) {
    List<KeyValue<Bytes, byte[]>> due = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it =
        expiry.range(expiryKey(0, ""), expiryKey(now + 1, ""))) {
      while (it.hasNext()) {
        due.add(it.next());
      }
    }
    for (KeyValue<Bytes, byte[]> kv : due) {
      expiry.delete(kv.key);
      byte[] k = kv.key.get();
      String id = new String(k, 8, k.length - 8, StandardCharsets.UTF_8);
      LabelJoinState st = getState(id);
      if (st == null) {
        continue;
      }
      long end = (st.getServed() != null ? st.getServedAtMs() : st.getFirstSeenMs()) + windowMs;
      if (end > now) {
        continue; // a later index entry (impression arrived after its clicks) will close it
      }
      if (st.getServed() != null) {
        for (ServedCandidate c : st.getServed().getCandidates()) {
          if (!st.getClickedAdIds().contains(c.getAdId())) {
            emit(st.getServed(), c, 0, null, now);
          }
        }
      } else {
        for (int i = 0; i < st.getPendingClicks().size(); i++) {
          metrics.clickDropped("orphan");
        }
      }
      state.delete(id);
    }
  }

  private LabelJoinState getState(String id) {
    byte[] b = state.get(id);
    return b == null ? null : Schemas.LABEL_JOIN_STATE.decode(b, null);
  }

  private void putState(String id, LabelJoinState st) {
    state.put(id, Schemas.LABEL_JOIN_STATE.encode(st));
  }

  private static LabelJoinState newState(long ts) {
    return LabelJoinState.newBuilder()
        .setServed(null)
        .setServedAtMs(-1)
        .setClickedAdIds(new ArrayList<>())
        .setPendingClicks(new ArrayList<>())
        .setFirstSeenMs(ts)
        .build();
  }

  /** The two persistent (changelogged) stores the processor needs. */
  public static List<StoreBuilder<?>> storeBuilders() {
    return List.of(
        Stores.keyValueStoreBuilder(
            // the state's single-object Avro bytes, as before; (de)coded by the processor, which
            // stores a first-seen served impression without decoding it
            Stores.persistentKeyValueStore(STATE_STORE), Serdes.String(), Serdes.ByteArray()),
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(EXPIRY_STORE), Serdes.Bytes(), Serdes.ByteArray()));
  }

  static Bytes expiryKey(long time, String id) {
    byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + idBytes.length);
    b.putLong(Math.max(0, time)).put(idBytes);
    return Bytes.wrap(b.array());
  }
}
