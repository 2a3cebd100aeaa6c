package io.ctrstreams.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadTestSettingsTest {

  @Test
  void shouldNameTheOffendingValue() {
    assertThatThrownBy(() -> LoadTestSettings.quick().with(0, List.of(1), 1)).hasMessageContaining("impressions must be >= 1, found 0");
    assertThatThrownBy(() -> LoadTestSettings.quick().with(10, List.of(1, 0), 1)).hasMessageContaining("found 0");
    assertThatThrownBy(() -> LoadTestSettings.quick().with(10, List.of(1), -1)).hasMessageContaining("swaps must be >= 0, found -1");
    assertThatThrownBy(() -> LoadTestSettings.quick().withRuntime(-5, 1, Map.of(), null)).hasMessageContaining("-5");
  }

  @Test
  void shouldMoveSwapCandidatesToAMeasuredCountWhenTheDefaultIsNotMeasured() {
    LoadTestSettings s = LoadTestSettings.quick().with(10, List.of(1, 4), 1);
    assertThat(s.swapCandidates()).isEqualTo(4);
    assertThat(LoadTestSettings.full().swapCandidates()).isEqualTo(16);
  }

  @Test
  void shouldParseTheMainArguments() {
    LoadTestSettings s = LoadTestMain.parse(new String[] {"--quick", "--impressions", "50", "--candidates", "1,8",
        "--swaps", "2", "--rounds", "3", "--streams-property", "commit.interval.ms=200"});
    assertThat(s.impressions()).isEqualTo(50);
    assertThat(s.candidateCounts()).containsExactly(1, 8);
    assertThat(s.swaps()).isEqualTo(2);
    assertThat(s.rounds()).isEqualTo(3);
    assertThat(s.streamsOverrides()).containsEntry("commit.interval.ms", "200");
    assertThatThrownBy(() -> LoadTestMain.parse(new String[] {"--bogus", "1"})).hasMessageContaining("--bogus");
  }

  @Test
  void shouldRunWithLabelsByDefaultAndWithoutOnRequest() {
    assertThat(LoadTestSettings.full().labelsEnabled()).as("the production default").isTrue();
    assertThat(LoadTestMain.parse(new String[] {"--quick"}).labelsEnabled()).isTrue();
    LoadTestSettings off = LoadTestMain.parse(new String[] {"--labels-off", "--quick", "--streams-property", "a=b"});
    assertThat(off.labelsEnabled()).isFalse();
    assertThat(off.streamsOverrides()).containsEntry("labels.enabled", "false").containsEntry("a", "b");
    assertThat(off.impressions()).as("--quick still applies").isEqualTo(LoadTestSettings.quick().impressions());
  }

  @Test
  void shouldParseScoresFormatsAndShadowRates() {
    LoadTestSettings d = LoadTestMain.parse(new String[] {"--quick"});
    assertThat(d.scoresFormats()).containsExactly(LoadTestSettings.defaultScoresFormat());
    assertThat(d.shadowRates()).isEmpty();
    LoadTestSettings s = LoadTestMain.parse(new String[] {"--quick", "--scores-formats", "per-impression,per-candidate",
        "--shadow-rates", "0.05,1"});
    assertThat(s.scoresFormats()).containsExactly("per-impression", "per-candidate");
    assertThat(s.primaryScoresFormat()).isEqualTo("per-impression");
    assertThat(s.shadowRates()).containsExactly(0.05, 1.0);
    LoadTestSettings viaProperty = LoadTestMain.parse(new String[] {"--streams-property", "scores.format=per-impression"});
    assertThat(viaProperty.scoresFormats()).containsExactly("per-impression");
    assertThat(LoadTestMain.parse(new String[] {"--labels-off", "--scores-formats", "per-impression"}).scoresFormats())
        .as("--labels-off keeps the formats").containsExactly("per-impression");
    assertThatThrownBy(() -> LoadTestMain.parse(new String[] {"--scores-formats", "per-ad"})).hasMessageContaining("per-ad");
    assertThatThrownBy(() -> LoadTestMain.parse(new String[] {"--shadow-rates", "0"})).hasMessageContaining("found 0.0");
    assertThatThrownBy(() -> LoadTestMain.parse(new String[] {"--scores-formats", "per-candidate,per-candidate"}))
        .hasMessageContaining("distinct");
  }
}
