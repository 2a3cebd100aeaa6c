package io.ctrstreams.recompressor.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.recompressor.CompressionMethod;
import io.ctrstreams.recompressor.gate.QualityGate;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.ctrstreams.trainer.online.OnlineModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompressorPipelineTest {

  @Test
  void shouldBuildTheFixedPlanAndRecordItsRanksAndSizes() {
    SyntheticStream s = new SyntheticStream(5);
    CtrModel full = CtrModel.random(
        OnlineModels.spec(s.schema(), "ctr-full", Architecture.DNN, 8, 200, new int[] {16}), 3);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      SyntheticStreamRows.add(s, rows);
    }
    CtrModel small = new CompressorPipeline(CompressionMethod.AFM, CompressorPipeline.Search.FIXED, 3, 2, new int[0], 1)
        .compress(full, new CompressionPipeline.CompressionData(rows, List.of(), new float[0]));
    Map<String, Integer> ranks = RecompressionOutcome.ranks(small);
    assertThat(ranks).containsEntry("emb/C1", 2).containsEntry("emb/I1", 2).hasSize(39);
    assertThat(small.parameterCount()).isLessThan(full.parameterCount() / 2);
    assertThat(small.metadata()).containsEntry("compression-method", "afm").containsKey("rank-plan");
    // fidelity on the calibration rows: a rank-2 AFM keeps logits close for a random model
    float[] a = QualityGate.logits(full, rows);
    float[] b = QualityGate.logits(small, rows);
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d += Math.abs(a[i] - b[i]);
    }
    assertThat(d / a.length).isLessThan(0.25);
  }

  @Test
  void shouldDistilAfterFactorizingAndKeepTheStudentOnlyIfFidelityImproves() {
    SyntheticStream s = new SyntheticStream(6);
    CtrModel full = CtrModel.random(
        OnlineModels.spec(s.schema(), "ctr-full", Architecture.DNN, 8, 200, new int[] {16}), 4);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      SyntheticStreamRows.add(s, rows);
    }
    CompressionPipeline.CompressionData data = new CompressionPipeline.CompressionData(rows, List.of(), new float[0]);
    CtrModel plain = new CompressorPipeline(CompressionMethod.AFM, CompressorPipeline.Search.FIXED, 3, 1, new int[0], 1)
        .compress(full, data);
    CtrModel distilled =
        new CompressorPipeline(CompressionMethod.AFM, CompressorPipeline.Search.FIXED, 3, 1, new int[0], 1, 40)
            .compress(full, data);
    assertThat(distilled.metadata()).containsKey("distillation-kept");
    assertThat(plain.metadata()).doesNotContainKey("distillation-kept");
    // held-out rows of the pipeline are the last 20%: the kept student is at least as faithful there
    List<Map<String, Object>> held = rows.subList(400, 500);
    double dPlain = meanAbsDiff(QualityGate.logits(full, held), QualityGate.logits(plain, held));
    double dDist = meanAbsDiff(QualityGate.logits(full, held), QualityGate.logits(distilled, held));
    if (Boolean.parseBoolean(distilled.metadata().get("distillation-kept"))) {
      assertThat(distilled.parameterCount()).isEqualTo(plain.parameterCount());
    } else {
      assertThat(dDist).isEqualTo(dPlain);
    }
    assertThat(dDist).isFinite();
  }

  private static double meanAbsDiff(float[] a, float[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d += Math.abs(a[i] - b[i]);
    }
    return d / a.length;
  }

  /** Raw rows of the synthetic stream (context and candidate merged, as the service builds them). */
  static final class SyntheticStreamRows {
    static void add(SyntheticStream s, List<Map<String, Object>> rows) {
      var imp = s.nextImpression();
      Map<String, Object> m = new java.util.HashMap<>(imp.context());
      m.putAll(imp.candidate());
      rows.add(m);
    }
  }
}
