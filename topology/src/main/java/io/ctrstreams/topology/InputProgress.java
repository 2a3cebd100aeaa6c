package io.ctrstreams.topology;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * The application's progress on each input partition as the cluster sees it: the group's
 * committed offset against the partition's end. A partition is <b>stalled</b> when its lag grows
 * (new records arrived) while the committed offset has not moved for the stall threshold: no
 * live owner makes progress on it (its owner died and the group has not reassigned it yet, which takes
 * up to {@code session.timeout.ms}; or the owner is stuck). Every instance sees every partition,
 * so the survivors report a dead instance's partitions. Pure logic over observations; {@link
 * InputProgressMonitor} feeds it from an admin client.
 */
final class InputProgress {

  /**
   * One partition's state at the last observation.
   *
   * @param partition the input partition
   * @param lag records waiting: end offset minus the committed one (or minus the log start when
   *     nothing is committed)
   * @param stalledMs how long the committed offset has not moved, when records arrived since it
   *     last moved; else 0
   */
  record Partition(TopicPartition partition, long lag, long stalledMs) {}

  private final long thresholdMs;
  private final Map<TopicPartition, long[]> seen = new HashMap<>(); // {committed, since ms, end then}
  private List<Partition> last = List.of();

  /** A tracker that calls a partition stalled after {@code thresholdMs} without progress. */
  InputProgress(long thresholdMs) {
    if (thresholdMs < 1) {
      throw new IllegalArgumentException("stall threshold must be >= 1 ms, found " + thresholdMs);
    }
    this.thresholdMs = thresholdMs;
  }

  /**
   * Records one observation.
   *
   * @param committed the group's committed offset per partition (absent: nothing committed)
   * @param start log start offset per partition
   * @param end end offset (read_committed) per partition; the partitions observed
   * @param nowMs the observation time
   */
  synchronized void observe(
      Map<TopicPartition, Long> committed, Map<TopicPartition, Long> start, Map<TopicPartition, Long> end,
      long nowMs) {
    List<Partition> out = new ArrayList<>(end.size());
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      TopicPartition tp = e.getKey();
      Long c = committed.get(tp);
      long position = c != null ? c : start.getOrDefault(tp, 0L);
      long lag = Math.max(0, e.getValue() - position);
      long[] s = seen.get(tp);
      if (s == null || s[0] != position || lag == 0) {
        seen.put(tp, new long[] {position, nowMs, e.getValue()});
        out.add(new Partition(tp, lag, 0));
      } else {
        // stalled only while the lag grows: a constant lag (e.g. a transaction marker after the
        // last record) with no new input is not a partition that nobody serves
        out.add(new Partition(tp, lag, e.getValue() > s[2] ? nowMs - s[1] : 0));
      }
    }
    out.sort(Comparator.comparing((Partition p) -> p.partition().topic())
        .thenComparingInt(p -> p.partition().partition()));
    last = List.copyOf(out);
  }

  /** Every partition of the last observation, ordered by name. */
  synchronized List<Partition> partitions() {
    return last;
  }

  /** The partitions of the last observation stalled for at least the threshold. */
  synchronized List<Partition> stalled() {
    List<Partition> s = new ArrayList<>();
    for (Partition p : last) {
      if (p.stalledMs() >= thresholdMs) {
        s.add(p);
      }
    }
    return s;
  }

  /** The threshold in ms. */
  long thresholdMs() {
    return thresholdMs;
  }
}
