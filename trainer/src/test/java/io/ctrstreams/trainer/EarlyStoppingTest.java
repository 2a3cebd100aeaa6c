package io.ctrstreams.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RecordReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EarlyStoppingTest {

  /**
   * Field 0 carries a weak signal, fields 1 and 2 are near-unique ids: with min count 1 and high
   * learning rates a model memorizes them, so held-out logloss rises after the first epochs.
   */
  private static Path overfittingData(Path dir) throws IOException {
    Random r = new Random(11);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 4000; i++) {
      int a = r.nextInt(10);
      double p = 1 / (1 + Math.exp(-(a - 4.5) * 0.4 + 1.0));
      boolean click = r.nextDouble() < p;
      sb.append(click ? "1" : "0").append(" 0:").append(a).append(":1 1:").append(r.nextInt(3000))
          .append(":1 2:").append(r.nextInt(3000)).append(":1\n");
    }
    Path f = dir.resolve("overfit.libfm");
    Files.writeString(f, sb);
    return f;
  }

  private static TrainingRun.Options options(Path f, int epochs, TrainingRun.EarlyStopping es) {
    return new TrainingRun.Options("libfm", f, 0, Architecture.DNN, 0.25, epochs, 8, new int[] {32, 16}, 2, 1, 0,
        TrainerConfig.defaults().withBatchSize(64).withLearningRates(0.01, 0.3).withThreads(1).withGemm("java"),
        5000, false, "t", es);
  }

  /** Logloss of sigmoid(logit) of {@code m} (no calibration map) on the rows of {@code f} after the training rows. */
  private static double heldOutLogloss(CtrModel m, Path f, long trainRows) throws IOException {
    FeatureEncoder enc = m.encoder();
    FeatureVector fv = m.spec().newFeatureVector();
    Scorer s = m.scorer();
    List<Double> p = new ArrayList<>();
    List<Boolean> y = new ArrayList<>();
    try (RecordReader r = TrainingRun.openFile("libfm", f)) {
      RawRecord rec = r.schema().newRecord();
      for (long i = 0; r.next(rec); i++) {
        if (i < trainRows) {
          continue;
        }
        Features.encode(enc, rec, fv);
        p.add((double) Scorer.sigmoid(s.scoreLogit(fv, fv)));
        y.add(rec.label > 0.5f);
      }
    }
    double[] pa = p.stream().mapToDouble(Double::doubleValue).toArray();
    boolean[] ya = new boolean[y.size()];
    for (int i = 0; i < ya.length; i++) {
      ya[i] = y.get(i);
    }
    return BinaryMetrics.logloss(pa, ya);
  }

  @Test
  void shouldEndWithTheHeldOutLoglossOfTheBestEvaluationWhenLaterEpochsOverfit(@TempDir Path dir)
      throws IOException {
    Path f = overfittingData(dir);
    TrainingRun.Result off = TrainingRun.run(options(f, 8, TrainingRun.EarlyStopping.off()), null);
    // Without early stopping the data overfits: the last evaluation is worse than the best one.
    double bestOff = off.curve().stream().mapToDouble(TrainingRun.Evaluation::logloss).min().orElseThrow();
    assertThat(off.curve()).hasSize(8);
    assertThat(off.epochsRun()).isEqualTo(8);
    assertThat(off.validLogloss()).isEqualTo(off.curve().get(7).logloss()).isGreaterThan(bestOff + 0.02);

    List<TrainingRun.Evaluation> seen = new ArrayList<>();
    TrainingRun.Result on = TrainingRun.run(options(f, 8, new TrainingRun.EarlyStopping(0, 2, "logloss")),
        new TrainingRun.Progress() {
          @Override
          public void report(long rows, double examplesPerSecond, double loss) {}

          @Override
          public void evaluated(TrainingRun.Evaluation e) {
            seen.add(e);
          }
        });
    double best = on.curve().stream().mapToDouble(TrainingRun.Evaluation::logloss).min().orElseThrow();
    assertThat(seen).isEqualTo(on.curve());
    assertThat(on.stoppedEarly()).isTrue();
    assertThat(on.epochsRun()).isLessThan(8);
    assertThat(on.validLogloss()).isEqualTo(best);
    // The last two evaluations did not improve, the one before them is the kept one.
    int n = on.curve().size();
    assertThat(on.curve().get(n - 3).best()).isTrue();
    assertThat(on.curve().get(n - 2).best()).isFalse();
    assertThat(on.curve().get(n - 1).best()).isFalse();
    // The written model really is the best checkpoint: rescored independently of the trainer.
    double rescored = heldOutLogloss(on.model(), f, on.trainRows());
    assertThat(rescored).isCloseTo(best, org.assertj.core.data.Offset.offset(1e-4));
    assertThat(rescored).isLessThan(off.validLogloss());
    assertThat(on.model().metadata()).containsEntry("trainer.epochsRun", Integer.toString(on.epochsRun()));
  }

  @Test
  void shouldEvaluateEveryNStepsWithinEpochs(@TempDir Path dir) throws IOException {
    Path f = overfittingData(dir);
    // 3000 training rows / batch 64 = 47 steps per epoch; every 20 steps -> 2 mid-epoch + 1 end.
    TrainingRun.Result r = TrainingRun.run(options(f, 1, new TrainingRun.EarlyStopping(20, 5, "auc")), null);
    assertThat(r.curve()).extracting(TrainingRun.Evaluation::step).containsExactly(20L, 40L, 47L);
    double bestAuc = r.curve().stream().mapToDouble(TrainingRun.Evaluation::auc).max().orElseThrow();
    assertThat(r.validAuc()).isEqualTo(bestAuc);
  }

  @Test
  void shouldRejectBadSettingsNamingTheValue() {
    assertThatThrownBy(() -> new TrainingRun.EarlyStopping(-1, 2, "logloss")).hasMessageContaining("-1");
    assertThatThrownBy(() -> new TrainingRun.EarlyStopping(0, -3, "logloss")).hasMessageContaining("-3");
    assertThatThrownBy(() -> new TrainingRun.EarlyStopping(0, 2, "accuracy")).hasMessageContaining("accuracy");
  }
}
