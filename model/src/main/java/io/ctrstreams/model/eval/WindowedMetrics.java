package io.ctrstreams.model.eval;

import io.ctrstreams.model.CtrModelException;

/**
 * Sliding event-time window of streaming metrics: a ring of {@link StreamingAuc} slots, each
 * covering {@code windowMs / slots} milliseconds of event time.
 *
 * <p>An event goes into the slot of its timestamp; a slot is recycled (reset) when time reaches
 * it again one window later. {@link #snapshot(long)} sums the slot holding {@code nowMs} and the
 * {@code slots - 1} slots before it, so the window covers between {@code windowMs - slotMs} and
 * {@code windowMs} of event time (exact to one slot; more slots = smoother window).
 * Events older than the oldest live slot (later than the window) are counted in {@link
 * #droppedLate()} and ignored. Timestamps ahead of {@code nowMs} are counted once {@code nowMs}
 * reaches them.
 *
 * <p>Memory: {@code 2 * slots * aucBuckets} longs. Thread-safe: methods are synchronized so a
 * metrics exporter thread can take snapshots while a stream thread adds events (uncontended in
 * the common case).
 */
public final class WindowedMetrics {
  private final long windowMs;
  private final long slotMs;
  private final StreamingAuc[] ring;
  private final long[] slotIndex;
  private final int buckets;
  private long droppedLate;
  private long newestSlot = Long.MIN_VALUE;

  /** A window of {@code windowMs} in 10 slots of {@link StreamingAuc#DEFAULT_BUCKETS} / 10 buckets each. */
  public WindowedMetrics(long windowMs) {
    this(windowMs, 10, StreamingAuc.DEFAULT_BUCKETS / 10);
  }

  /**
   * A window of {@code windowMs} split in {@code slots} slots of {@code aucBuckets} buckets.
   *
   * @throws CtrModelException if a value is out of range or windowMs is not a multiple of slots
   */
  public WindowedMetrics(long windowMs, int slots, int aucBuckets) {
    if (slots < 1 || slots > 10_000) {
      throw new CtrModelException("window slots must be in [1, 10000], found " + slots);
    }
    if (windowMs < slots) {
      throw new CtrModelException("window of " + windowMs + " ms must be >= slots (" + slots + ")");
    }
    if (windowMs % slots != 0) {
      throw new CtrModelException("window of " + windowMs + " ms must be a multiple of slots (" + slots + ")");
    }
    this.windowMs = windowMs;
    this.slotMs = windowMs / slots;
    this.buckets = aucBuckets;
    this.ring = new StreamingAuc[slots];
    this.slotIndex = new long[slots];
    for (int i = 0; i < slots; i++) {
      ring[i] = new StreamingAuc(aucBuckets);
      slotIndex[i] = Long.MIN_VALUE;
    }
  }

  /** Window length in milliseconds. */
  public long windowMs() {
    return windowMs;
  }

  /** Adds one prediction at event time {@code timestampMs}. Allocation-free. */
  public synchronized void add(long timestampMs, double p, boolean label) {
    long s = Math.floorDiv(timestampMs, slotMs);
    if (newestSlot != Long.MIN_VALUE && s <= newestSlot - ring.length) {
      droppedLate++;
      return;
    }
    newestSlot = Math.max(newestSlot, s);
    int r = (int) Math.floorMod(s, (long) ring.length);
    if (slotIndex[r] != s) {
      ring[r].reset();
      slotIndex[r] = s;
    }
    ring[r].add(p, label);
  }

  /**
   * Metrics of the events in the slot of {@code nowMs} and the {@code slots - 1} slots before it.
   * Allocates one small boolean array; meant for periodic export, not per event.
   */
  public synchronized MetricsSnapshot snapshot(long nowMs) {
    long now = Math.floorDiv(nowMs, slotMs);
    long oldest = now - ring.length + 1;
    long count = 0;
    long positives = 0;
    double sumP = 0;
    double sumLoss = 0;
    double wins = 0;
    double negBelow = 0;
    boolean[] live = new boolean[ring.length];
    for (int i = 0; i < ring.length; i++) {
      live[i] = slotIndex[i] >= oldest && slotIndex[i] <= now && ring[i].count() > 0;
      if (live[i]) {
        count += ring[i].count();
        positives += ring[i].positives();
        sumP += ring[i].sumP();
        sumLoss += ring[i].sumLoss();
      }
    }
    long negatives = count - positives;
    double auc = Double.NaN;
    if (positives > 0 && negatives > 0) {
      for (int b = 0; b < buckets; b++) {
        long pb = 0;
        long nb = 0;
        for (int i = 0; i < ring.length; i++) {
          if (live[i]) {
            pb += ring[i].posCounts()[b];
            nb += ring[i].negCounts()[b];
          }
        }
        wins += pb * (negBelow + 0.5 * nb);
        negBelow += nb;
      }
      auc = wins / ((double) positives * negatives);
    }
    return new MetricsSnapshot(
        auc,
        count == 0 ? Double.NaN : sumLoss / count,
        positives == 0 ? Double.NaN : sumP / positives,
        count,
        positives);
  }

  /** Events ignored because they arrived after their slot had left the window. */
  public synchronized long droppedLate() {
    return droppedLate;
  }

  /** Clears every slot. */
  public synchronized void reset() {
    for (int i = 0; i < ring.length; i++) {
      ring[i].reset();
      slotIndex[i] = Long.MIN_VALUE;
    }
    newestSlot = Long.MIN_VALUE;
    droppedLate = 0;
  }
}
