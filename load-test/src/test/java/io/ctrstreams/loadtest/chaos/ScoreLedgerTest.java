package io.ctrstreams.loadtest.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScoreLedgerTest {

  /** One consumed score: partition, event, candidate, scoredAtMs, arrivalMs. */
  private record Rec(int partition, String event, String ad, long scoredAt, long arrival) {}

  private static ScoreLedger ledgerWith(int events, List<Rec> records) {
    ScoreLedger l = new ScoreLedger(3);
    for (int e = 0; e < events; e++) {
      l.sent("e" + e, List.of("e" + e + "#0", "e" + e + "#1"));
    }
    for (Rec r : records) {
      l.score(r.partition, r.event, r.ad, r.scoredAt, r.arrival);
    }
    return l;
  }

  @Test
  void shouldCountNothingLostOrDuplicatedWhenEveryCandidateHasOneScore() {
    ScoreLedger l = ledgerWith(2, List.of(
        new Rec(0, "e0", "e0#0", 1, 1), new Rec(0, "e0", "e0#1", 1, 1),
        new Rec(1, "e1", "e1#0", 1, 1), new Rec(1, "e1", "e1#1", 1, 1)));
    assertThat(l.lost()).isZero();
    assertThat(l.duplicated()).isZero();
    assertThat(l.allScored()).isTrue();
    assertThat(l.sentImpressions()).isEqualTo(2);
    assertThat(l.sentCandidates()).isEqualTo(4);
    assertThat(l.totalScores()).isEqualTo(4);
  }

  @Test
  void shouldCountAnImpressionLostWhenAnyOfItsCandidatesHasNoScore() {
    ScoreLedger l = ledgerWith(3, List.of(
        new Rec(0, "e0", "e0#0", 1, 1), new Rec(0, "e0", "e0#1", 1, 1),
        new Rec(1, "e1", "e1#0", 1, 1)));
    assertThat(l.lost()).isEqualTo(2); // e1 half scored, e2 not at all
    assertThat(l.scoredCandidates()).isEqualTo(3);
    assertThat(l.allScored()).isFalse();
  }

  @Test
  void shouldCountACandidateDuplicatedOnceHoweverManyCopiesItGot() {
    ScoreLedger l = ledgerWith(1, List.of(
        new Rec(0, "e0", "e0#0", 1, 1), new Rec(0, "e0", "e0#0", 1, 1), new Rec(0, "e0", "e0#0", 1, 1),
        new Rec(0, "e0", "e0#1", 1, 1), new Rec(0, "e0", "e0#1", 1, 1)));
    assertThat(l.duplicated()).isEqualTo(2);
    assertThat(l.lost()).isZero();
    assertThat(l.totalScores()).isEqualTo(5);
  }

  @Test
  void shouldCountScoresOfUnsentCandidatesAsForeignNotDuplicated() {
    ScoreLedger l = ledgerWith(1, List.of(
        new Rec(0, "e0", "e0#0", 1, 1), new Rec(0, "e0", "e0#1", 1, 1),
        new Rec(0, "other", "x", 1, 1), new Rec(0, "e0", "e0#9", 1, 1)));
    assertThat(l.foreign()).isEqualTo(2);
    assertThat(l.duplicated()).isZero();
    assertThat(l.lost()).isZero();
  }

  @Test
  void shouldForgetAWithdrawnImpressionAndItsScores() {
    ScoreLedger l = ledgerWith(2, List.of(
        new Rec(0, "e1", "e1#0", 1, 1), new Rec(0, "e1", "e1#0", 1, 1)));
    l.withdraw("e1");
    assertThat(l.sentImpressions()).isEqualTo(1);
    assertThat(l.sentCandidates()).isEqualTo(2);
    assertThat(l.scoredCandidates()).isZero();
    assertThat(l.duplicated()).isZero();
    assertThat(l.lost()).isEqualTo(1);
  }

  @Test
  void shouldMeasureRecoveryFromTheFaultToTheLastPartitionToResume() {
    ScoreLedger l = ledgerWith(3, List.of(
        new Rec(0, "e0", "e0#0", 900, 950))); // before the fault: not a resumption
    l.markFault(1_000);
    l.score(0, "e0", "e0#1", 1_100, 1_200);
    l.score(1, "e1", "e1#0", 990, 1_300); // committed before the fault, arriving after: not a resumption
    assertThat(l.partitionsNotResumed()).containsExactly(1, 2);
    assertThat(l.everyPartitionResumedAfterMs()).isEqualTo(-1);
    l.score(1, "e1", "e1#1", 1_400, 1_500);
    l.score(2, "e2", "e2#0", 5_000, 6_000);
    assertThat(l.everyPartitionResumedAfterMs()).isEqualTo(5_000);
    assertThat(l.allScoredAfterMs()).isEqualTo(-1);
    l.score(2, "e2", "e2#1", 6_500, 7_000);
    assertThat(l.allScoredAfterMs()).isEqualTo(6_000);
  }

  @Test
  void shouldMoveCompletionOnWhenMoreIsSentAfterEverythingWasScored() {
    ScoreLedger l = ledgerWith(1, List.of());
    l.markFault(0);
    l.score(0, "e0", "e0#0", 10, 10);
    l.score(0, "e0", "e0#1", 10, 20);
    assertThat(l.allScoredAfterMs()).isEqualTo(20);
    l.sent("e1", List.of("e1#0"));
    assertThat(l.allScoredAfterMs()).isEqualTo(-1);
    l.score(1, "e1", "e1#0", 30, 40);
    assertThat(l.allScoredAfterMs()).isEqualTo(40);
  }

  @Test
  void shouldReportNoRecoveryBeforeAFault() {
    ScoreLedger l = ledgerWith(1, List.of(new Rec(0, "e0", "e0#0", 1, 1), new Rec(0, "e0", "e0#1", 1, 1)));
    assertThat(l.everyPartitionResumedAfterMs()).isEqualTo(-1);
    assertThat(l.allScoredAfterMs()).isEqualTo(-1);
    assertThat(l.partitionsNotResumed()).containsExactly(0, 1, 2);
    assertThatThrownBy(() -> new ScoreLedger(0)).hasMessageContaining("found 0");
  }
}
