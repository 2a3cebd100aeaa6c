package io.ctrstreams.recompressor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.LowRankConfig;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.recompressor.Calibration;
import io.ctrstreams.recompressor.TestModels;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DensifyTest {
  @Test
  void denseFormShouldScoreLikeTheLowRankModel() {
    LowRankConfig lrCross = new LowRankConfig(2, false, new int[] {5, 0, 3}, new int[] {4, 0}, false, Map.of("ad", 3));
    long seed = 17;
    ModelSpec spec = TestModels.spec(Architecture.DCNV2, CrossStructure.STACKED, 6, lrCross);
    CtrModel lowRank = CtrModel.random(spec, seed);
    CtrModel dense = Densify.dense(lowRank);
    assertThat(dense.spec().lowRank()).isNull();
    Calibration rows = TestModels.rows(spec, 500, seed);
    float[] want = TestModels.referenceLogits(lowRank, rows, rows.rows());
    float[] got = TestModels.referenceLogits(dense, rows, rows.rows());
    for (int r = 0; r < want.length; r++) {
      assertThat(got[r]).as("row %d seed %d", r, seed).isCloseTo(want[r], within(1e-4f + 1e-4f * Math.abs(want[r])));
    }
  }
}
