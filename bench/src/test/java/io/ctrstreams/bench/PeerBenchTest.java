package io.ctrstreams.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.FieldSpec.Role;
import io.ctrstreams.model.LowRankConfig;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.onnx.OnnxExport;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The peer benchmark's harness on a small model (no speed is asserted): both sides score the same
 * requests and agree, the timings are positive, the report carries both and the ratio.
 */
class PeerBenchTest {
  @Test
  void shouldMeasureBothSidesOnTheSameRequests() throws Exception {
    ModelSpec.Builder b = ModelSpec.builder().name("small").architecture(Architecture.DNN).mlp(24, 12)
        .lowRank(LowRankConfig.of(2, true, 0, 4));
    for (int i = 0; i < 6; i++) {
      b.field(FieldSpec.categorical("C" + i, i < 3 ? Role.CONTEXT : Role.CANDIDATE, 0, 50, 8));
    }
    CtrModel m = CtrModel.random(b.build(), 11);
    PeerBench.Row r = PeerBench.measure("DNN", "lowrank", m, OnnxExport.toBytes(m), 5, 5, 3, 5);
    assertThat(r.maxDiff()).isLessThanOrEqualTo(PeerBench.MAX_DIFF);
    assertThat(r.scorerNs()).isPositive();
    assertThat(r.ortNs()).isPositive();
    assertThat(r.ratio()).isEqualTo(r.ortNs() / r.scorerNs());
    assertThat(r.ortProcessShare()).isPositive();
  }

  @Test
  void shouldReportBothSidesAndTheRatio() {
    String s = PeerBench.format(List.of(new PeerBench.Row("DNN", "dense", 16, 10_000, 15_000, 1e-7, 570_000, 1.02)),
        "vector-api 512-bit", "1.23.2");
    assertThat(s).contains("ONNX Runtime 1.23.2 (CPU, 1 intra-op thread, optimization ALL)", "ORT/scorer")
        .containsPattern("DNN\\s+dense\\s+16\\s+10000\\s+15000\\s+1.50x\\s+114.0\\s+76.0\\s+1.0e-07\\s+1.02");
  }
}
