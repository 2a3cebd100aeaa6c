package io.ctrstreams.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ScoringLatencySnapshotTest {

  @Test
  void shouldReturnTheUpperBoundOfTheBucketHoldingTheQuantile() {
    double[] ub = {0.001, 0.002, 0.005, Double.POSITIVE_INFINITY};
    long[] counts = {90, 9, 1, 0};
    assertThat(ScoringLatencySnapshot.quantileUpperBoundMs(ub, counts, 0.5)).isEqualTo(1.0);
    assertThat(ScoringLatencySnapshot.quantileUpperBoundMs(ub, counts, 0.99)).isEqualTo(2.0);
    assertThat(ScoringLatencySnapshot.quantileUpperBoundMs(ub, counts, 1.0)).isEqualTo(5.0);
  }

  @Test
  void shouldBeNaNWithoutSamples() {
    assertThat(ScoringLatencySnapshot.quantileUpperBoundMs(new double[] {1}, new long[] {0}, 0.99)).isNaN();
  }
}
