package io.ctrstreams.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DemoOptionsTest {

  @Test
  void shouldDefaultToTheTwoCoreSettings() {
    DemoOptions d = DemoOptions.defaults();
    assertThat(d.brokerPort()).isEqualTo(9092);
    assertThat(d.metricsPort()).isEqualTo(9400);
    assertThat(d.snapshotInterval()).isEqualTo(Duration.ofSeconds(20));
    assertThat(d.duration()).isNull();
    // every click (delay capped at 10x the mean) must fall inside the attribution window
    assertThat(d.clickDelayMeanMs() * 10).isLessThanOrEqualTo(d.attributionWindow().toMillis());
  }

  @Test
  void shouldRejectAClickDelayThatOverrunsTheAttributionWindow() {
    DemoOptions d = DemoOptions.defaults();
    assertThatThrownBy(() -> new DemoOptions(d.brokerPort(), d.metricsPort(), d.impressionsPerSecond(), null,
        d.statusInterval(), d.snapshotInterval(), d.trainerExamplesPerSecond(), Duration.ofSeconds(5), 1000,
        d.compressionSearch(), d.embeddingRank(), d.compressionRatio(), d.seed(), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1000.0 ms for a window of 5000 ms");
  }

  @Test
  void shouldRejectANonPositiveRateNamingIt() {
    DemoOptions d = DemoOptions.defaults();
    assertThatThrownBy(() -> new DemoOptions(d.brokerPort(), d.metricsPort(), 0, null, d.statusInterval(),
        d.snapshotInterval(), d.trainerExamplesPerSecond(), d.attributionWindow(), d.clickDelayMeanMs(),
        d.compressionSearch(), d.embeddingRank(), d.compressionRatio(), d.seed(), false))
        .hasMessage("impressions per second must be in (0, 100000], found 0.0");
  }
}
