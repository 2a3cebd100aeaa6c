package io.ctrstreams.loadtest.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.loadtest.chaos.FaultSuite.Fault;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChaosReportTest {

  private static final CaseResult OK = new CaseResult("topology-kill9", 100, 0, 0, "", 12_300, 14_050, true, "restart");
  private static final CaseResult CRASHED = new CaseResult("poison-1mb", 51, 50, 0,
      "poison-1mb-a streams ERROR (/health/live 503)", -1, -1, true, "hostile record neither scored nor dead-lettered");

  @Test
  void shouldPassOnlyWhenNothingIsLostDuplicatedOrCrashedAndTheCheckHeld() {
    assertThat(OK.passed()).isTrue();
    assertThat(CRASHED.passed()).isFalse();
    assertThat(new CaseResult("x", 1, 0, 1, "", -1, -1, true, "").passed()).isFalse();
    assertThat(new CaseResult("x", 1, 0, 0, "", -1, -1, false, "").passed()).isFalse();
    assertThat(new ChaosReport(List.of(OK), 1).failed()).isFalse();
    assertThat(new ChaosReport(List.of(OK, CRASHED), 1).failed()).isTrue();
  }

  @Test
  void shouldPrintOneRowPerCaseWithTimesAndVerdict() {
    String t = new ChaosReport(List.of(OK, CRASHED), 65_400).format();
    List<String> lines = t.lines().toList();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).containsSubsequence("case", "tried", "lost", "duplicated", "crashed", "time to recover", "note");
    assertThat(lines.get(1)).containsSubsequence("topology-kill9", "100", "0", "0", "no", "12.3 s (all 14.1 s)", "ok: restart");
    assertThat(lines.get(2)).containsSubsequence("poison-1mb", "51", "50", "0", "YES: poison-1mb-a streams ERROR", "never", "FAIL:");
    assertThat(lines.get(3)).isEqualTo("2 case(s), 1 failed, 65.4 s");
  }

  @Test
  void shouldNotCallScoresThatStoppedAgainARecovery() {
    assertThat(ChaosReport.recovery(new CaseResult("x", 9, 5, 0, "x streams ERROR", 200, -1, true, ""))).isEqualTo("never");
    assertThat(ChaosReport.recovery(OK)).isEqualTo("12.3 s (all 14.1 s)");
  }

  @Test
  void shouldReadRejectedSwapsFromTheMetricsText() {
    String metrics = """
        # HELP ctr_model_swaps_rejected_total Rejected model swaps
        ctr_model_swaps_rejected_total{model="m",role="live",reason="corrupt"} 2.0
        ctr_model_swaps_rejected_total{model="m",role="live",reason="incompatible"} 0.0
        ctr_model_swaps_total{model="m",role="live"} 1.0
        """;
    assertThat(FaultSuite.rejections(metrics)).isEqualTo("corrupt=2");
    assertThat(FaultSuite.rejections("")).isEmpty();
  }

  @Test
  void shouldNameUnknownCasesAndBadSettings() {
    assertThat(Fault.of("poison-1mb")).isEqualTo(Fault.POISON_1MB);
    assertThatThrownBy(() -> Fault.of("nope")).hasMessageContaining("unknown case 'nope'").hasMessageContaining("failover");
    assertThatThrownBy(() -> new FaultSuite.Settings(List.of(Fault.FAILOVER), 3, 10, FaultSuite.CTR_MAIN))
        .hasMessageContaining("found 3");
    assertThatThrownBy(() -> new FaultSuite.Settings(List.of(), 10, 10, FaultSuite.CTR_MAIN))
        .hasMessageContaining("at least one case");
    assertThat(new FaultSuite.Settings(List.of(Fault.CORRUPT_MODEL, Fault.TOPOLOGY_KILL, Fault.CORRUPT_MODEL), 10, 5,
        FaultSuite.CTR_MAIN).faults()).containsExactly(Fault.TOPOLOGY_KILL, Fault.CORRUPT_MODEL);
  }
}
