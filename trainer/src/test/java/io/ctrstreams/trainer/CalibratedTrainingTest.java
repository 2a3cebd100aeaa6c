package io.ctrstreams.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.Calibration;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.model.format.CtrmFormat;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class CalibratedTrainingTest {

  private static TrainingRun.Options options(Calibration.Kind kind) {
    // a high dense learning rate and 3 epochs without early stopping: a model that is off in level
    return new TrainingRun.Options("synthetic", null, 20_000, Architecture.DNN, 0.25, 3, 8, new int[] {32, 16}, 0, 5,
        0, TrainerConfig.defaults().withBatchSize(256).withLearningRates(0.01, 0.2), 5000, false, "cal",
        TrainingRun.EarlyStopping.off(), kind);
  }

  @Test
  void shouldFitAPlattMapThatMatchesTheObservedRateOnTheHeldOutRowsAndStoreIt() throws IOException {
    TrainingRun.Result r = TrainingRun.run(options(Calibration.Kind.PLATT), null);
    CtrModel m = r.model();
    assertThat(m.calibration().kind()).isEqualTo(Calibration.Kind.PLATT);
    // at the Platt optimum the intercept's gradient sum(p - y) is zero: mean pCTR = observed CTR
    assertThat(r.calibratedCalibration()).isCloseTo(1.0, within(1e-3));
    // the family holds the identity map, so the fitted one is never worse on its rows
    assertThat(r.calibratedLogloss()).isLessThanOrEqualTo(r.validLogloss() + 1e-9);
    CtrModel back = CtrModel.fromFile(CtrmFormat.read(CtrmFormat.toBytes(m.toFile())));
    assertThat(back.calibration()).isEqualTo(m.calibration());
  }

  @Test
  void shouldFitAnIsotonicMapOrNoneOnRequest() throws IOException {
    TrainingRun.Result iso = TrainingRun.run(options(Calibration.Kind.ISOTONIC), null);
    assertThat(iso.model().calibration().kind()).isEqualTo(Calibration.Kind.ISOTONIC);
    assertThat(iso.calibratedCalibration()).isCloseTo(1.0, within(1e-9));
    TrainingRun.Result none = TrainingRun.run(options(Calibration.Kind.NONE), null);
    assertThat(none.model().calibration()).isEqualTo(Calibration.none());
    assertThat(none.calibratedCalibration()).isCloseTo(none.validCalibration(), within(1e-5));
  }

  @Test
  void shouldComputeTheExpectedCalibrationErrorByHand() {
    // bins of 0.1: {0.05, 0.05} -> |0.1 - 1| ; {0.95} -> |0.95 - 1|; (0.9 + 0.05) / 3
    double e = BinaryMetrics.expectedCalibrationError(new double[] {0.05, 0.05, 0.95},
        new boolean[] {true, false, true}, 10);
    assertThat(e).isCloseTo((0.9 + 0.05) / 3, within(1e-12));
  }
}
