package io.ctrstreams.recompressor.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The trigger policy on a hand-driven clock: no Kafka, no RocksDB, no sleeping. */
class TriggerPolicyTest {
  private static final long START_MS = Instant.parse("2026-12-01T00:00:00Z").toEpochMilli();

  /** A clock the test moves. */
  private static final class ManualClock extends Clock {
    long ms = START_MS;

    void advance(long deltaMs) {
      ms += deltaMs;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(ms);
    }
  }

  private final ManualClock clock = new ManualClock();

  /** 100 impressions needed; age after 10 s; drift above 0.1 over 3 rows; 60 s between reruns. */
  private TriggerPolicy policy(long maxAgeMs, double drift) {
    return new TriggerPolicy(clock, "ctr", 100, 60_000, maxAgeMs, drift, 3);
  }

  @Test
  void shouldHoldANewSnapshotUntilEnoughImpressionsThenRunItOnce() {
    TriggerPolicy p = policy(0, 0);
    assertThat(p.snapshotStored(3, -1)).isTrue();
    assertThat(p.hasPending()).isTrue();

    assertThat(p.next(99, 3, -1, Double.NaN)).isNull();
    assertThat(p.hasPending()).isTrue();
    assertThat(p.next(100, 3, -1, Double.NaN)).isEqualTo(new TriggerPolicy.Run("snapshot", 3));
    assertThat(p.hasPending()).isFalse();
    assertThat(p.next(100, 3, -1, Double.NaN)).isNull();
  }

  @Test
  void shouldNotRedoAFinishedSnapshotAndRunOnlyTheNewestPendingOne() {
    TriggerPolicy p = policy(0, 0);
    assertThat(p.snapshotStored(2, 2)).isFalse();
    assertThat(p.next(1_000, 2, -1, Double.NaN)).isNull();

    assertThat(p.snapshotStored(4, 2)).isTrue();
    assertThat(p.snapshotStored(3, 2)).isTrue();

    assertThat(p.next(1_000, 4, -1, Double.NaN)).isEqualTo(new TriggerPolicy.Run("snapshot", 4));
    assertThat(p.next(1_000, 4, -1, Double.NaN)).isNull();
  }

  @Test
  void shouldRerunTheStoredSnapshotWhenTheLastPublishGetsOldAtMostOncePerInterval() {
    TriggerPolicy p = policy(10_000, 0);
    long published = clock.millis();
    assertThat(p.nowMs()).isEqualTo(published);

    clock.advance(10_000);
    assertThat(p.next(1_000, 5, published, 0.3)).as("exactly max age is not older").isNull();
    clock.advance(1);
    assertThat(p.next(1_000, 5, published, 0.3)).isEqualTo(new TriggerPolicy.Run("age", 5));
    clock.advance(59_999);
    assertThat(p.next(1_000, 5, published, 0.3)).as("within the min interval").isNull();
    clock.advance(1);
    assertThat(p.next(1_000, 5, published, 0.3)).isEqualTo(new TriggerPolicy.Run("age", 5));
    // nothing stored, or nothing ever published: no age run
    clock.advance(120_000);
    assertThat(p.next(1_000, -1, published, 0.3)).isNull();
    assertThat(p.next(1_000, 5, -1, 0.3)).isNull();
  }

  @Test
  void shouldRerunWhenTheServedLoglossOfThePublishedVersionDriftsAboveTheGates() {
    TriggerPolicy p = policy(0, 0.1);
    assertThat(p.tracksDrift()).isTrue();
    double gate = 0.3;
    // other models, other versions and no published version do not count
    for (int i = 0; i < 5; i++) {
      p.served("ctr-full", 2, true, 0.001, 2);
      p.served("ctr", 1, true, 0.001, 2);
      p.served("ctr", 2, true, 0.001, -1);
    }
    assertThat(p.next(1_000, 5, -1, gate)).isNull();

    // served logloss -ln(0.5) = 0.69 over 2 rows: above the gate's by 0.39, but below min rows
    p.served("ctr", 2, true, 0.5, 2);
    p.served("ctr", 2, false, 0.5, 2);
    assertThat(p.next(1_000, 5, -1, gate)).isNull();
    p.served("ctr", 2, true, 0.5, 2);
    assertThat(p.next(1_000, 5, -1, Double.NaN)).as("no gate logloss to compare with").isNull();
    assertThat(p.next(1_000, 5, -1, gate)).isEqualTo(new TriggerPolicy.Run("drift", 5));

    // the average restarted: three more drifted rows are needed, and the min interval to pass
    for (int i = 0; i < 3; i++) {
      p.served("ctr", 2, true, 0.5, 2);
    }
    assertThat(p.next(1_000, 5, -1, gate)).isNull();
    clock.advance(60_000);
    assertThat(p.next(1_000, 5, -1, gate)).isEqualTo(new TriggerPolicy.Run("drift", 5));
  }

  @Test
  void shouldStartANewDriftAverageForEachPublishedVersionAndIgnoreSmallDrift() {
    TriggerPolicy p = policy(0, 0.1);
    double gate = 0.69;
    for (int i = 0; i < 3; i++) {
      p.served("ctr", 2, true, 0.001, 2); // logloss 6.9 under v2
    }
    for (int i = 0; i < 3; i++) {
      p.served("ctr", 3, true, 0.5, 3); // v3 published: its served logloss 0.693 is within 0.1
    }
    assertThat(p.next(1_000, 5, -1, gate)).isNull();
    assertThat(policy(0, 0).tracksDrift()).isFalse();
  }

  @Test
  void aRequestedRunShouldRerunTheStoredSnapshotOnceAndRespectTheMinimumInterval() {
    TriggerPolicy p = policy(0, 0);
    p.request("delta-fidelity");
    assertThat(p.next(100, -1, -1, Double.NaN)).as("nothing stored yet").isNull();
    assertThat(p.next(100, 4, -1, Double.NaN)).isEqualTo(new TriggerPolicy.Run("delta-fidelity", 4));
    assertThat(p.next(100, 4, -1, Double.NaN)).isNull();
    clock.advance(1_000);
    p.request("delta-fidelity");
    assertThat(p.next(100, 4, -1, Double.NaN)).as("within trigger.min.interval.ms").isNull();
    clock.advance(60_000);
    assertThat(p.next(100, 4, -1, Double.NaN)).isEqualTo(new TriggerPolicy.Run("delta-fidelity", 4));
  }
}
