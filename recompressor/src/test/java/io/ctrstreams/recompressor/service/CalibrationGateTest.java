package io.ctrstreams.recompressor.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.Calibration;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.recompressor.RecompressorException;
import io.ctrstreams.recompressor.gate.GateThresholds;
import io.ctrstreams.recompressor.gate.QualityGate;
import io.ctrstreams.trainer.data.SyntheticEvent;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.ctrstreams.trainer.online.OnlineModels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 19: the student's calibration map is refitted on the holdout and the gate checks it. */
class CalibrationGateTest {
  private final SyntheticStream stream = new SyntheticStream(19);
  private final CtrModel full = CtrModel.random(
      OnlineModels.spec(stream.schema(), "ctr-full", Architecture.DNN, 4, 50, new int[] {8}), 1);

  private List<Map<String, Object>> rows(int n, float[] labels) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      SyntheticEvent.Impression imp = stream.nextImpression();
      Map<String, Object> m = new HashMap<>(imp.context());
      m.putAll(imp.candidate());
      rows.add(m);
      labels[i] = imp.clicked() ? 1 : 0;
    }
    return rows;
  }

  @Test
  void shouldRefitTheMapOnTheHoldoutAndRejectAMiscalibratedCandidate() {
    float[] labels = new float[2000];
    List<Map<String, Object>> hold = rows(2000, labels);
    QualityGate gate = new QualityGate(new GateThresholds(1, 10, 10, 10, 0.02), 100, true);

    CtrModel shifted = full.withCalibration(Calibration.platt(1, 2.0));
    QualityGate.Verdict bad = gate.judge(full, shifted, hold, labels, List.of());
    assertThat(bad.passed()).isFalse();
    assertThat(bad.summary()).contains("calibration of the served pCTR").contains("max calibration error 0.0200");

    Calibration refit = CompressorPipeline.refitCalibration(full,
        new CompressionPipeline.CompressionData(List.of(), hold, labels));
    assertThat(refit.kind()).isEqualTo(Calibration.Kind.PLATT);
    CtrModel calibrated = full.withCalibration(refit);
    assertThat(QualityGate.servedCalibration(calibrated, hold, labels, 2000)).isCloseTo(1.0, within(1e-3));
    QualityGate.Verdict good = gate.judge(full, calibrated, hold, labels, List.of());
    assertThat(good.passed()).as(good.summary()).isTrue();
    assertThat(good.summary()).contains("served calibration 1.00");
  }

  @Test
  void shouldFitNoMapWithoutAHoldoutAndValidateTheLimit() {
    assertThat(CompressorPipeline.refitCalibration(full,
        new CompressionPipeline.CompressionData(List.of(), List.of(), new float[0]))).isEqualTo(Calibration.none());
    assertThatThrownBy(() -> new GateThresholds(0.005, 0.005, 1, 1, -0.5)).isInstanceOf(RecompressorException.class)
        .hasMessage("max calibration error must be >= 0, found -0.5");
  }
}
