package io.ctrstreams.recompressor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.LowRankConfig;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.recompressor.Calibration;
import io.ctrstreams.recompressor.TestModels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchNetTest {

  @Test
  void shouldMatchReferenceScorerForEveryArchitectureDenseLowRankAndFolded() {
    LowRankConfig lr = new LowRankConfig(2, false, new int[] {5, 0, 3}, null, false, Map.of("ad", 3));
    LowRankConfig lrCross = new LowRankConfig(2, false, new int[] {5, 0, 3}, new int[] {4, 0}, false, Map.of("ad", 3));
    LowRankConfig relu = new LowRankConfig(0, false, new int[] {0, 6, 0}, new int[] {0, 3}, true, null);
    LowRankConfig folded = LowRankConfig.of(2, true, 7, 0, 4);
    List<Object[]> cases = List.of(
        new Object[] {Architecture.DNN, CrossStructure.STACKED, null},
        new Object[] {Architecture.DNN, CrossStructure.STACKED, lr},
        new Object[] {Architecture.DNN, CrossStructure.STACKED, folded},
        new Object[] {Architecture.DEEPFM, CrossStructure.STACKED, null},
        new Object[] {Architecture.DEEPFM, CrossStructure.STACKED, lr},
        new Object[] {Architecture.DCNV2, CrossStructure.STACKED, null},
        new Object[] {Architecture.DCNV2, CrossStructure.STACKED, lrCross},
        new Object[] {Architecture.DCNV2, CrossStructure.PARALLEL, lrCross},
        new Object[] {Architecture.DCNV2, CrossStructure.PARALLEL, relu});
    long seed = 31;
    for (Object[] c : cases) {
      ModelSpec spec = TestModels.spec((Architecture) c[0], (CrossStructure) c[1], 6, (LowRankConfig) c[2]);
      CtrModel m = CtrModel.random(spec, seed);
      Calibration rows = TestModels.rows(spec, 5000, seed); // more than one block
      float[] got = BatchNet.of(m).logits(rows, 0, rows.rows());
      float[] want = TestModels.referenceLogits(m, rows, rows.rows());
      for (int r = 0; r < want.length; r++) {
        assertThat(got[r]).as("%s %s %s row %d seed %d", c[0], c[1], c[2], r, seed)
            .isCloseTo(want[r], org.assertj.core.api.Assertions.within(1e-4f + 1e-4f * Math.abs(want[r])));
      }
    }
  }
}
