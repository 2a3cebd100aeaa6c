package io.ctrstreams.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScoreBenchTest {

  @Test
  void shouldReportRatiosAndPeakShare() {
    ScoreBench.Result r = new ScoreBench.Result(List.of(
        new ScoreBench.Row("DNN", "dense", 16, 16 * 20_000.0, 16.0, 570_000, 166_400 + 16 * 403_600L, Double.NaN),
        new ScoreBench.Row("DNN", "lowrank", 16, 16 * 5_000.0, 0.0, 165_200, 165_200 * 16L, Double.NaN)), 80.0, 100.0,
        "vector-api 512-bit (jdk.incubator.vector)");
    String report = ScoreBench.format(r);
    assertThat(report).contains("FMA peak (PeakFlopsBenchmark, one core): 100.0 GFLOP/s (auto-vectorized Java loop 80.0,"
        + " Vector API registers 100.0; % peak uses the higher)");
    assertThat(report).contains("scorer kernels: vector-api 512-bit");
    assertThat(report).contains("DNN    batch   16: 4.00x");
    // counted: 2 * 570000 flops / 20000 ns = 57 GFLOP/s; executed: 2 * (166400 + 16 * 403600) / 320000 ns
    // = 41.4 GFLOP/s = 41.4% of 100; 0.828 MFLOP executed per candidate
    assertThat(report).containsPattern("DNN\\s+dense\\s+16\\s+20000\\s+57.0\\s+41.4\\s+41.4%\\s+1.000\\s+1.140\\s+0.828");
    // with an adjacent peak (CpuTimeBench), the share is of it: 41.4 / 50 = 82.8%
    ScoreBench.Result adj = new ScoreBench.Result(List.of(r.rows().get(0).withAdjacentPeak(50.0)), 80.0, 100.0, "k");
    assertThat(ScoreBench.format(adj)).containsPattern("exec MF/c\\s+adj peak")
        .containsPattern("DNN\\s+dense\\s+16\\s+20000\\s+57.0\\s+41.4\\s+82.8%\\s+1.000\\s+1.140\\s+0.828\\s+50.0");
    assertThat(report).doesNotContainPattern("exec MF/c\\s+adj peak");
  }

  @Test
  void shouldCountTheContextPartOncePerRequest() {
    // context = 26 fields x 16 (416 wide, 26 x 4 = 104 when rank-4 codes are folded), MLP 400-400-400
    long[][] expected = {
        // full pass, shared per request
        {624 * 400 + 2 * 400 * 400 + 400, 416 * 400}, // DNN dense: layer 1's context rows
        {156 * 400 + 400 * 64 * 2 + 64 * 400 * 2 + 400, 104 * 400}, // DNN low-rank: folded codes, layer 1 dense
    };
    CtrModel[] models = {BenchModels.model("DNN", false), BenchModels.model("DNN", true)};
    for (int i = 0; i < models.length; i++) {
      assertThat(models[i].flopsPerCandidate()).isEqualTo(expected[i][0]);
      assertThat(models[i].multiplyAddsPerRequest(1)).isEqualTo(expected[i][0]);
      assertThat(models[i].multiplyAddsPerRequest(16)).isEqualTo(expected[i][1] + 16 * (expected[i][0] - expected[i][1]));
    }
    // DCN-V2: the first cross layer's context rows (624 wide dense; rank 64 low-rank, plus the
    // context fields' rank-4 -> 16 embedding projections)
    CtrModel dcn = BenchModels.model("DCNV2", false);
    CtrModel dcnLr = BenchModels.model("DCNV2", true);
    assertThat(dcn.flopsPerCandidate() - (dcn.multiplyAddsPerRequest(2) - dcn.multiplyAddsPerRequest(1))).isEqualTo(416 * 624);
    assertThat(dcnLr.flopsPerCandidate() - (dcnLr.multiplyAddsPerRequest(2) - dcnLr.multiplyAddsPerRequest(1)))
        .isEqualTo(416 * 64 + 26 * 4 * 16);
    assertThatThrownBy(() -> dcn.multiplyAddsPerRequest(0)).hasMessage("candidates must be >= 1, got 0");
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
