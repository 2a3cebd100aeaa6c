package io.ctrstreams.loadtest.chaos;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The accounting of one fault case: which candidates were sent, how many committed scores each
 * got, and when the scores resumed after the fault. Fed by the suite's {@code read_committed}
 * consumer; pure, so the counting is unit-tested on lists of records.
 *
 * <ul>
 *   <li><b>lost</b>: impressions with at least one candidate that got no score;
 *   <li><b>duplicated</b>: candidates with more than one score (a transaction replayed or a record
 *       produced twice);
 *   <li><b>foreign</b>: scores of candidates that were never sent (counted, never "duplicated");
 *   <li><b>recovery</b>: from {@link #markFault} to the arrival of the first score scored at or
 *       after the fault on <em>every</em> partition (the last partition to resume is the one the
 *       fault hit: after a failover the survivor's own partitions resume at once), and to the
 *       arrival of the score that completed the last sent candidate.
 * </ul>
 *
 * Not thread-safe (one consumer thread feeds it).
 */
public final class ScoreLedger {
  private final int partitions;
  private final Map<String, Map<String, Integer>> byEvent = new HashMap<>();
  private int sentCandidates;
  private int scoredCandidates;
  private long duplicated;
  private long foreign;
  private long total;
  private long faultMs = -1;
  private final long[] resumedMs;
  private long allScoredMs = -1;

  /** A ledger for a scores topic with {@code partitions} partitions. */
  public ScoreLedger(int partitions) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, found " + partitions);
    }
    this.partitions = partitions;
    this.resumedMs = new long[partitions];
  }

  /** Records that an impression with these candidates was sent (acknowledged by the broker). */
  public void sent(String eventId, List<String> adIds) {
    Map<String, Integer> m = byEvent.computeIfAbsent(eventId, k -> new HashMap<>());
    for (String ad : adIds) {
      if (m.putIfAbsent(ad, 0) == null) {
        sentCandidates++;
        allScoredMs = -1; // a new candidate is not scored yet: completion moves on
      }
    }
  }

  /**
   * Takes back an impression whose send failed (the producer gave up): it was never on the
   * topic, so it can be neither lost nor scored.
   */
  public void withdraw(String eventId) {
    Map<String, Integer> m = byEvent.remove(eventId);
    if (m != null) {
      for (int n : m.values()) {
        sentCandidates--;
        scoredCandidates -= n > 0 ? 1 : 0;
        duplicated -= n > 1 ? 1 : 0;
      }
    }
  }

  /** The wall-clock time of the fault; recovery is measured from it. */
  public void markFault(long wallMs) {
    faultMs = wallMs;
    java.util.Arrays.fill(resumedMs, -1);
    allScoredMs = -1;
  }

  /**
   * One committed score.
   *
   * @param partition its partition of the scores topic
   * @param eventId impression id (the record key)
   * @param adId candidate id
   * @param scoredAtMs when the topology scored it (the score's {@code scoredAtMs})
   * @param arrivalMs when the consumer saw it
   */
  public void score(int partition, String eventId, String adId, long scoredAtMs, long arrivalMs) {
    total++;
    Map<String, Integer> m = byEvent.get(eventId);
    Integer n = m == null ? null : m.get(adId);
    if (n == null) {
      foreign++;
    } else {
      m.put(adId, n + 1);
      if (n == 0) {
        scoredCandidates++;
      } else {
        duplicated += n == 1 ? 1 : 0; // a candidate counts once however many copies it got
      }
    }
    if (faultMs >= 0 && partition >= 0 && partition < partitions && scoredAtMs >= faultMs && resumedMs[partition] < 0) {
      resumedMs[partition] = arrivalMs;
    }
    if (faultMs >= 0 && allScoredMs < 0 && allScored()) {
      allScoredMs = arrivalMs;
    }
  }

  /** Whether every sent candidate has a score. */
  public boolean allScored() {
    return scoredCandidates == sentCandidates;
  }

  /** Impressions sent. */
  public int sentImpressions() {
    return byEvent.size();
  }

  /** Candidates sent. */
  public int sentCandidates() {
    return sentCandidates;
  }

  /** Candidates with at least one score. */
  public int scoredCandidates() {
    return scoredCandidates;
  }

  /** Scores seen, of any candidate. */
  public long totalScores() {
    return total;
  }

  /** Impressions with at least one candidate without a score. */
  public int lost() {
    int lost = 0;
    for (Map<String, Integer> m : byEvent.values()) {
      if (m.containsValue(0)) {
        lost++;
      }
    }
    return lost;
  }

  /** Candidates with more than one score. */
  public long duplicated() {
    return duplicated;
  }

  /** Scores of candidates never sent. */
  public long foreign() {
    return foreign;
  }

  /**
   * Milliseconds from the fault until every partition had a score scored after it, or -1 while
   * some partition has none (or no fault was marked).
   */
  public long everyPartitionResumedAfterMs() {
    if (faultMs < 0) {
      return -1;
    }
    long last = -1;
    for (long r : resumedMs) {
      if (r < 0) {
        return -1;
      }
      last = Math.max(last, r);
    }
    return Math.max(0, last - faultMs);
  }

  /** Milliseconds from the fault until every sent candidate was scored, or -1. */
  public long allScoredAfterMs() {
    return faultMs < 0 || allScoredMs < 0 ? -1 : Math.max(0, allScoredMs - faultMs);
  }

  /** Partitions that have no score scored after the fault yet (all of them before a fault). */
  public List<Integer> partitionsNotResumed() {
    List<Integer> out = new java.util.ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      if (faultMs < 0 || resumedMs[p] < 0) {
        out.add(p);
      }
    }
    return out;
  }
}
