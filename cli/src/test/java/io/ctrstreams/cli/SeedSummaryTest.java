package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.trainer.TrainerException;
import java.util.List;
import org.junit.jupiter.api.Test;

class SeedSummaryTest {

  private static SeedSummary.Run run(String alg, long seed, double ll, double auc) {
    return new SeedSummary.Run(4, "heterogeneous", alg, alg.equals("econtrol") ? "k_t/d_t" : "-", seed, ll, auc);
  }

  @Test
  void shouldPairEachSeedWithItsOwnBaselineAndReportMeanAndStandardError() {
    // gaps per seed: logloss +0.002, +0.000, -0.0005 (mean +0.0005; sd = sqrt(((0.0015)^2 + (0.0005)^2 + (0.001)^2) / 2)
    // = 0.0013229; se = sd / sqrt(3) = 0.0007638), AUC -0.003, +0.001, +0.0005 (mean -0.0005)
    List<SeedSummary.Run> runs = List.of(
        run("uncompressed", 1, 0.440, 0.800), run("econtrol", 1, 0.442, 0.797),
        run("uncompressed", 2, 0.480, 0.750), run("econtrol", 2, 0.480, 0.751),
        run("uncompressed", 3, 0.460, 0.770), run("econtrol", 3, 0.4595, 0.7705));
    List<String> t = SeedSummary.table(runs, 0.001);
    assertThat(t).hasSize(4);
    assertThat(t.get(2)).isEqualTo("| 4 | heterogeneous | uncompressed | - | 3 | 0.46000 | 0.77333 | - | - | - | - |");
    // seed 1 misses (logloss +0.002, AUC -0.003), seeds 2 and 3 are within; the mean is within
    assertThat(t.get(3)).isEqualTo("| 4 | heterogeneous | econtrol | k_t/d_t | 3 | 0.46050 | 0.77283 | +0.00050 ± 0.00076"
        + " | -0.00050 ± 0.00126 | 2 of 3 | yes |");
  }

  @Test
  void shouldJudgeTheMeanAgainstTheTargetOnBothMetrics() {
    List<SeedSummary.Run> runs = List.of(
        run("uncompressed", 1, 0.440, 0.800), run("econtrol", 1, 0.4405, 0.7985),
        run("uncompressed", 2, 0.480, 0.750), run("econtrol", 2, 0.4805, 0.7485));
    // logloss within (+0.0005), AUC not (-0.0015): not met
    assertThat(SeedSummary.table(runs, 0.001).get(3)).endsWith("| 0 of 2 | no |");
    assertThat(SeedSummary.table(runs, 0.002).get(3)).endsWith("| 2 of 2 | yes |");
  }

  @Test
  void shouldLeaveGapsOutWithoutABaselineOfTheSameSeedAndWorkers() {
    List<SeedSummary.Run> runs = List.of(run("uncompressed", 1, 0.44, 0.80), run("econtrol", 2, 0.45, 0.79),
        new SeedSummary.Run(2, "heterogeneous", "ef", "-", 1, 0.45, 0.79));
    List<String> t = SeedSummary.table(runs, 0.001);
    assertThat(t.get(3)).endsWith("| - | - | - | - |");
    assertThat(t.get(4)).endsWith("| - | - | - | - |");
  }

  @Test
  void shouldGiveNoStandardErrorForOneSeed() {
    List<String> t = SeedSummary.table(List.of(run("uncompressed", 7, 0.44, 0.80), run("econtrol", 7, 0.4410, 0.7990)),
        0.001);
    assertThat(t.get(3)).contains("| +0.00100 | -0.00100 | 1 of 1 | yes |");
  }

  @Test
  void shouldParseSeedListsAndRanges() {
    assertThat(SeedSummary.parseSeeds("1-10")).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    assertThat(SeedSummary.parseSeeds("1, 3,5-7")).containsExactly(1, 3, 5, 6, 7);
    assertThat(SeedSummary.parseSeeds("42")).containsExactly(42);
    assertThat(SeedSummary.parseSeeds("-3")).containsExactly(-3);
  }

  @Test
  void shouldRejectBadSeedsNamingThem() {
    assertThatThrownBy(() -> SeedSummary.parseSeeds("1-x")).isInstanceOf(TrainerException.class).hasMessageContaining("'1-x'");
    assertThatThrownBy(() -> SeedSummary.parseSeeds("5-2")).hasMessageContaining("'5-2'");
    assertThatThrownBy(() -> SeedSummary.parseSeeds("1-3,2")).hasMessageContaining("seed 2 twice");
    assertThatThrownBy(() -> SeedSummary.parseSeeds("1-5000")).hasMessageContaining("'1-5000'");
    assertThatThrownBy(() -> SeedSummary.parseSeeds("")).hasMessageContaining("found ''");
  }
}
