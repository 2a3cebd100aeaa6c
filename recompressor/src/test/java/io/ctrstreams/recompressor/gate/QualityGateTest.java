package io.ctrstreams.recompressor.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.recompressor.RecompressorException;
import io.ctrstreams.trainer.data.SyntheticEvent;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.ctrstreams.trainer.online.OnlineModels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QualityGateTest {
  private static final long SEED = 777L;

  /** Labels drawn from the probabilities themselves, so the "full" model is well calibrated. */
  static float[][] data(long seed, int n) {
    Random rnd = new Random(seed);
    float[] p = new float[n];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      double logit = rnd.nextGaussian() * 1.5 - 1.5;
      p[i] = (float) (1 / (1 + Math.exp(-logit)));
      y[i] = rnd.nextDouble() < p[i] ? 1 : 0;
    }
    return new float[][] {p, y};
  }

  @Test
  void shouldMatchPairwiseCountingAucWithTies() {
    float[][] d = data(SEED, 600);
    float[] p = d[0].clone();
    for (int i = 0; i < p.length; i++) {
      p[i] = Math.round(p[i] * 20) / 20f; // many ties
    }
    double wins = 0;
    double pairs = 0;
    for (int i = 0; i < p.length; i++) {
      for (int j = 0; j < p.length; j++) {
        if (d[1][i] == 1 && d[1][j] == 0) {
          pairs++;
          wins += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
        }
      }
    }
    assertThat(BinaryMetrics.auc(p, d[1], p.length)).isCloseTo(wins / pairs, within(1e-12));
    assertThat(BinaryMetrics.auc(new float[] {0.5f, 0.5f}, new float[] {1, 0}, 2)).isEqualTo(0.5);
    assertThat(BinaryMetrics.auc(new float[] {0.1f, 0.9f}, new float[] {1, 1}, 2)).isNaN();
  }

  @Test
  void shouldComputeLoglossCalibrationAndLogitDiffFromDefinitions() {
    float[] p = {0.2f, 0.7f, 0.9f};
    float[] y = {0, 1, 1};
    double expected = -(Math.log(1 - 0.2f) + Math.log(0.7f) + Math.log(0.9f)) / 3;
    assertThat(BinaryMetrics.logloss(p, y, 3)).isCloseTo(expected, within(1e-7));
    assertThat(BinaryMetrics.calibration(p, y, 3)).isCloseTo((0.2f + 0.7f + 0.9f) / 2.0, within(1e-6));
    float[] q = {0.5f, 0.5f, 0.5f};
    double lg = (Math.abs(Math.log(0.2f / 0.8f)) + Math.abs(Math.log(0.7f / (1 - 0.7f))) + Math.abs(Math.log(0.9f / (1 - 0.9f)))) / 3;
    assertThat(LogitDiff.meanAbs(p, q, 3)).isCloseTo(lg, within(1e-5));
  }

  @Test
  void shouldPassIdenticalCandidate() {
    float[][] d = data(SEED + 1, 2000);
    QualityGate.GateReport r = new QualityGate(GateThresholds.defaults()).evaluate(d[0], d[0].clone(), d[1], 2000);
    assertThat(r.passed()).isTrue();
    assertThat(r.aucDelta()).isZero();
    assertThat(r.meanAbsLogitDiff()).isZero();
    assertThat(r.format()).contains("verdict: PASS");
  }

  @Test
  void shouldJudgeAHoldoutOfOneClassWithoutAucOnItsOtherChecks() {
    float[][] d = data(SEED + 5, 2000);
    float[] negatives = new float[d[1].length]; // a click outage: no positive label at all
    QualityGate gate = new QualityGate(GateThresholds.defaults());
    // a slightly better candidate (lower logloss on all-negative rows) is accepted, without AUC
    float[] lower = d[0].clone();
    for (int i = 0; i < lower.length; i++) {
      lower[i] *= 0.999f;
    }
    QualityGate.GateReport better = gate.evaluate(d[0], lower, negatives, lower.length);
    assertThat(better.aucUndefined()).isTrue();
    assertThat(better.passed()).as("%s", better.failures()).isTrue();
    assertThat(better.loglossCandidate()).isLessThan(better.loglossFull());
    // a candidate far from the full model still fails on logloss and fidelity
    float[] off = new float[d[0].length];
    java.util.Arrays.fill(off, 0.9f);
    QualityGate.GateReport worse = gate.evaluate(d[0], off, negatives, off.length);
    assertThat(worse.aucUndefined()).isTrue();
    assertThat(worse.passed()).isFalse();
    assertThat(worse.failures()).noneMatch(f -> f.contains("AUC")).anyMatch(f -> f.contains("max logloss rise"));
    // on a holdout with both classes AUC takes part as before
    assertThat(gate.evaluate(d[0], lower, d[1], lower.length).aucUndefined()).isFalse();
  }

  @Test
  void shouldRejectNoisyCandidateNamingTheThresholds() {
    float[][] d = data(SEED + 2, 4000);
    Random rnd = new Random(SEED + 2);
    float[] noisy = new float[d[0].length];
    for (int i = 0; i < noisy.length; i++) {
      double logit = Math.log(d[0][i] / (1 - d[0][i])) + rnd.nextGaussian() * 1.5;
      noisy[i] = (float) (1 / (1 + Math.exp(-logit)));
    }
    QualityGate.GateReport r = new QualityGate(GateThresholds.defaults()).evaluate(d[0], noisy, d[1], noisy.length);
    assertThat(r.passed()).as("seed %d", SEED + 2).isFalse();
    assertThat(r.failures()).anyMatch(f -> f.contains("max AUC drop 0.00500"));
    assertThat(r.failures()).anyMatch(f -> f.contains("max logloss rise 0.00500"));
    assertThat(r.format()).contains("verdict: REJECT");

    QualityGate lenient = new QualityGate(new GateThresholds(1, 1, Double.POSITIVE_INFINITY, 0.1));
    QualityGate.GateReport r2 = lenient.evaluate(d[0], noisy, d[1], noisy.length);
    assertThat(r2.failures()).singleElement().asString().contains("max mean |logit diff| 0.1000");
  }

  @Test
  void shouldRejectNegativeThreshold() {
    assertThatThrownBy(() -> new GateThresholds(-0.1, 0.005, 1, 1))
        .isInstanceOf(RecompressorException.class)
        .hasMessage("max AUC drop must be >= 0, found -0.1");
  }

  /** Raw rows of the synthetic stream (context and candidate merged) and their 0/1 labels. */
  private static List<Map<String, Object>> rows(SyntheticStream s, int n, float[] labels) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      SyntheticEvent.Impression imp = s.nextImpression();
      Map<String, Object> m = new HashMap<>(imp.context());
      m.putAll(imp.candidate());
      rows.add(m);
      if (labels != null) {
        labels[i] = imp.clicked() ? 1 : 0;
      }
    }
    return rows;
  }

  private final CtrModel full = model(1);
  private final SyntheticStream stream = new SyntheticStream(SEED);

  private static CtrModel model(long seed) {
    SyntheticStream s = new SyntheticStream(1);
    return CtrModel.random(OnlineModels.spec(s.schema(), "ctr-full", Architecture.DNN, 4, 50, new int[] {8}), seed);
  }

  @Test
  void shouldFallBackToFidelityOnCalibrationRowsWhileTheHoldoutIsSmall() {
    List<Map<String, Object>> calib = rows(stream, 40, null);
    float[] labels = new float[3];
    List<Map<String, Object>> hold = rows(stream, 3, labels);
    GateThresholds t = new GateThresholds(0.005, 0.005, Double.POSITIVE_INFINITY, 0.05);
    QualityGate gate = new QualityGate(t, 10, false);

    QualityGate.Verdict same = gate.judge(full, full, hold, labels, calib);
    assertThat(same.passed()).as(same.summary()).isTrue();
    assertThat(same.summary()).isEqualTo("fidelity-only (holdout n=3 < 10) on 40 calibration rows: |dlogit| 0.0000");
    assertThat(same.candidateLogloss()).isNaN();

    CtrModel other = model(2);
    float[] lf = QualityGate.logits(full, calib);
    float[] lo = QualityGate.logits(other, calib);
    double diff = 0;
    for (int i = 0; i < lf.length; i++) {
      diff += Math.abs(lf[i] - lo[i]);
    }
    diff /= lf.length;
    assertThat(diff).isGreaterThan(0.05);
    QualityGate.Verdict far = gate.judge(full, other, hold, labels, calib);
    assertThat(far.passed()).isFalse();
    assertThat(far.summary()).isEqualTo(String.format(java.util.Locale.ROOT,
        "fidelity-only (holdout n=3 < 10) on 40 calibration rows: |dlogit| %.4f FAILED: exceeds max mean |logit diff| 0.0500",
        diff));
  }

  @Test
  void shouldRejectWithoutEnoughHoldoutWhenItIsRequiredOrThereIsNothingToJudgeOn() {
    float[] labels = new float[3];
    List<Map<String, Object>> hold = rows(stream, 3, labels);
    GateThresholds t = GateThresholds.defaults();

    QualityGate.Verdict required = new QualityGate(t, 10, true).judge(full, full, hold, labels, rows(stream, 5, null));
    assertThat(required.passed()).isFalse();
    assertThat(required.summary()).isEqualTo("holdout has 3 rows, gate.require.holdout needs 10");

    QualityGate.Verdict empty = new QualityGate(t, 10, false).judge(full, full, hold, labels, List.of());
    assertThat(empty.passed()).isFalse();
    assertThat(empty.summary()).isEqualTo("no calibration rows and only 3 holdout rows: nothing to judge the candidate on");
    assertThatThrownBy(() -> new QualityGate(t, 0, false)).isInstanceOf(RecompressorException.class)
        .hasMessage("holdout min rows must be >= 1, found 0");
  }

  @Test
  void shouldJudgeOnTheHoldoutOnceItHasEnoughRows() {
    float[] labels = new float[400];
    List<Map<String, Object>> hold = rows(stream, 400, labels);
    QualityGate gate = new QualityGate(GateThresholds.defaults(), 400, true);

    QualityGate.Verdict same = gate.judge(full, full, hold, labels, List.of());
    assertThat(same.passed()).as(same.summary()).isTrue();
    double logloss = BinaryMetrics.logloss(QualityGate.probabilities(full, hold), labels, 400);
    assertThat(same.candidateLogloss()).isEqualTo(logloss);
    assertThat(same.summary()).startsWith("holdout n=400 auc ").endsWith("|dlogit| 0.0000");

    QualityGate.Verdict other = new QualityGate(new GateThresholds(1, 10, 10, 0.01), 400, true)
        .judge(full, model(2), hold, labels, List.of());
    assertThat(other.passed()).isFalse();
    assertThat(other.summary()).contains(" FAILED: mean |logit diff| ").contains("exceeds max mean |logit diff| 0.0100");
  }
}
