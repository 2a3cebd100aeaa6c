package io.ctrstreams.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScoreBenchTest {

  @Test
  void shouldReportRatiosAndPeakShare() {
    ScoreBench.Result r = new ScoreBench.Result(List.of(
        new ScoreBench.Row("DNN", "dense", 16, 16 * 20_000.0, 16.0, 570_000),
        new ScoreBench.Row("DNN", "lowrank", 16, 16 * 5_000.0, 0.0, 165_200)), 80.0, 100.0, "vector-api 512-bit (jdk.incubator.vector)");
    String report = ScoreBench.format(r);
    assertThat(report).contains("FMA peak (PeakFlopsBenchmark, one core): 100.0 GFLOP/s (auto-vectorized Java loop 80.0,"
        + " Vector API registers 100.0; % peak uses the higher)");
    assertThat(report).contains("scorer kernels: vector-api 512-bit");
    assertThat(report).contains("DNN    batch   16: 4.00x");
    // 2 * 570000 flops / 20000 ns = 57 GFLOP/s = 57% of 100
    assertThat(report).containsPattern("DNN\\s+dense\\s+16\\s+20000\\s+57.0\\s+57.0%\\s+1.000");
  }

  @Test
  void benchmarkModelsShouldHaveTheDocumentedShapeAndAgree() {
    CtrModel dense = BenchModels.model("DNN", false);
    CtrModel lowRank = BenchModels.model("DNN", true);
    assertThat(dense.spec().fieldCount()).isEqualTo(39);
    assertThat(dense.spec().embeddingWidth()).isEqualTo(39 * 16);
    assertThat(lowRank.spec().firstLayerInputWidth()).isEqualTo(39 * 4);
    assertThat(lowRank.flopsPerCandidate() * 3).isLessThan(dense.flopsPerCandidate());
    Random rnd = new Random(1);
    FeatureVector ctx = BenchModels.vector(lowRank.spec(), rnd);
    FeatureVector cand = BenchModels.vector(lowRank.spec(), rnd);
    assertThat(lowRank.scorer().scoreLogit(ctx, cand))
        .isCloseTo(lowRank.referenceScorer().scoreLogit(ctx, cand), org.assertj.core.api.Assertions.within(1e-4f));
  }
}
