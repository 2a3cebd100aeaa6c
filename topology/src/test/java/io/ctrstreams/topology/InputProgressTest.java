package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class InputProgressTest {
  private static final TopicPartition P0 = new TopicPartition("impressions", 0);
  private static final TopicPartition P1 = new TopicPartition("impressions", 1);

  @Test
  void aPartitionWhoseLagGrowsWithoutCommitsShouldStallAfterTheThreshold() {
    InputProgress p = new InputProgress(10_000);
    p.observe(Map.of(P0, 100L, P1, 50L), Map.of(), Map.of(P0, 100L, P1, 60L), 0);
    assertThat(p.partitions()).extracting(InputProgress.Partition::lag).containsExactly(0L, 10L);
    // P0 keeps up (commits move); P1's owner is gone: its committed offset stays while input grows
    p.observe(Map.of(P0, 200L, P1, 50L), Map.of(), Map.of(P0, 210L, P1, 160L), 6_000);
    assertThat(p.stalled()).isEmpty();
    assertThat(p.partitions().get(1).stalledMs()).isEqualTo(6_000);
    p.observe(Map.of(P0, 300L, P1, 50L), Map.of(), Map.of(P0, 300L, P1, 260L), 12_000);
    assertThat(p.stalled()).containsExactly(new InputProgress.Partition(P1, 210, 12_000));
    // a new owner commits: no longer stalled
    p.observe(Map.of(P0, 300L, P1, 70L), Map.of(), Map.of(P0, 300L, P1, 270L), 13_000);
    assertThat(p.stalled()).isEmpty();
    assertThat(p.partitions()).extracting(InputProgress.Partition::stalledMs).containsExactly(0L, 0L);
  }

  @Test
  void aConstantLagWithoutNewInputShouldNotStall() {
    InputProgress p = new InputProgress(1_000);
    // e.g. a transaction marker after the last record: lag 1 forever, nothing new arrives
    p.observe(Map.of(P0, 99L), Map.of(), Map.of(P0, 100L), 0);
    p.observe(Map.of(P0, 99L), Map.of(), Map.of(P0, 100L), 60_000);
    assertThat(p.stalled()).isEmpty();
  }

  @Test
  void nothingCommittedShouldCountFromTheLogStart() {
    InputProgress p = new InputProgress(1_000);
    p.observe(Map.of(), Map.of(P0, 40L), Map.of(P0, 100L), 0);
    p.observe(Map.of(), Map.of(P0, 40L), Map.of(P0, 120L), 5_000);
    assertThat(p.stalled()).containsExactly(new InputProgress.Partition(P0, 80, 5_000));
    assertThatThrownBy(() -> new InputProgress(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("found 0");
  }
}
