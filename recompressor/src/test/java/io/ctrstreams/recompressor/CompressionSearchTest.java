package io.ctrstreams.recompressor;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.recompressor.search.Candidate;
import org.junit.jupiter.api.Test;

class CompressionSearchTest {
  private static final long SEED = 2024L;

  @Test
  void shouldMeetTheBudgetAndLetTheSeededGaMatchOrBeatTheBaselines() {
    for (Architecture arch : new Architecture[] {Architecture.DNN, Architecture.DCNV2}) {
      ModelSpec spec = TestModels.spec(arch, CrossStructure.STACKED, 8, null);
      CtrModel teacher = CtrModel.random(spec, SEED);
      Calibration calib = TestModels.rows(spec, 3000, SEED);
      Compressor compressor = new Compressor(CompressionMethod.AFM, Linalg.defaultLinalg());
      long budget = 4L * teacher.parameterCount() / 3;
      CompressionSearch.Options opts = CompressionSearch.Options.defaults(SEED)
          .withGa(new io.ctrstreams.recompressor.search.GaConfig(10, 10, 3, 0.7, 0.25, SEED,
              io.ctrstreams.recompressor.search.GaConfig.Objective.FIDELITY, true));
      CompressionSearch.Result r = new CompressionSearch(compressor, opts).search(teacher, calib, budget, false);
      for (Candidate c : r.report().candidates()) {
        assertThat(c.bytes()).as("%s %s seed %d", arch, c, SEED).isLessThanOrEqualTo(budget);
      }
      Candidate ga = r.report().candidates().stream().filter(c -> c.strategy().equals("ga")).findFirst().orElseThrow();
      for (Candidate c : r.report().candidates()) {
        assertThat(ga.loss()).as("%s ga vs %s, seed %d", arch, c.strategy(), SEED).isLessThanOrEqualTo(c.loss());
      }
      CompressionResult built = compressor.compress(teacher, calib.slice(0, r.searchRows()), r.plan());
      assertThat(built.bytesAfter()).as("%s plan %s", arch, r.plan()).isLessThanOrEqualTo(budget);
      if (arch != Architecture.DNN) {
        continue;
      }
      // Deterministic for a seed.
      CompressionSearch.Result again = new CompressionSearch(compressor, opts).search(teacher, calib, budget, false);
      assertThat(again.plan()).usingRecursiveComparison().isEqualTo(r.plan());
    }
  }
}
