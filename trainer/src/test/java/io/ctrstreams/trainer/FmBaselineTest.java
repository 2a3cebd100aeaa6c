package io.ctrstreams.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The pure FM baseline (DeepFM without MLP, output unit frozen at zero) against a numpy
 * factorization machine: {@code logit = b + sum_f w_f[x_f] + 1/2 (|sum_f v_f|^2 - sum_f |v_f|^2)}.
 * Reference values from this script (numpy 1.x), with the same weights:
 *
 * <pre>
 * rows = [4, 3, 5]; k = 2
 * E = [np.array([[0.3*np.sin(1+f*7+r*3+j) for j in range(k)] for r in range(rows[f])]) for f in range(3)]
 * W = [np.array([0.1*np.cos(f+2*r) for r in range(rows[f])]) for f in range(3)]
 * b = -0.2; X = [[1,2,3],[0,0,4],[3,1,0]]; Y = [1,0,1]
 * z = logit(x) per row; g = (sigmoid(z) - Y) / 3
 * dE_f[x_f] += g * (sum_f' v_f' - v_f); dW_f[x_f] += g; db = sum(g)
 * </pre>
 */
class FmBaselineTest {
  private static final int[] ROWS = {4, 3, 5};
  private static final int[][] X = {{1, 2, 3}, {0, 0, 4}, {3, 1, 0}};
  private static final float[] Y = {1, 0, 1};
  private static final double[] LOGITS = {-0.3667720553, 0.1685806062, -0.1978947093};
  private static final double GB = -0.1993153298;
  private static final double[][] GW = {
      {0.1806818742, -0.1968929212, 0.0000000000, -0.1831042828},
      {0.1806818742, -0.1831042828, -0.1968929212},
      {-0.1831042828, 0.0000000000, 0.0000000000, -0.1968929212, 0.1806818742}};
  private static final double[][] GE = {
      {0.1054676692, 0.0370230318, -0.0050224821, -0.0305933849, 0.0000000000, 0.0000000000, 0.0192096003,
          0.0452895389},
      {0.0974515050, 0.0639723987, -0.0058373680, 0.0707456460, 0.0981933069, 0.0644593573},
      {0.0848145255, 0.0844053867, 0.0000000000, 0.0000000000, 0.0000000000, 0.0000000000, -0.0138103566,
          0.0182304988, 0.0992392971, 0.0716267711}};

  private static ModelSpec spec() {
    return ModelSpec.builder().name("fm").architecture(Architecture.DEEPFM)
        .fields(List.of(FieldSpec.categorical("c0", FieldSpec.Role.CONTEXT, 0, ROWS[0], 2),
            FieldSpec.categorical("c1", FieldSpec.Role.CANDIDATE, 0, ROWS[1], 2),
            FieldSpec.categorical("c2", FieldSpec.Role.CANDIDATE, 0, ROWS[2], 2)))
        .mlp(new int[0]).build();
  }

  private static CtrModel model() {
    CtrModel m = TrainingRun.pureFm(CtrModel.random(spec(), 5));
    Map<String, Tensor> t = new LinkedHashMap<>(m.tensorMap());
    for (int f = 0; f < 3; f++) {
      float[] e = new float[ROWS[f] * 2];
      float[] w = new float[ROWS[f]];
      for (int r = 0; r < ROWS[f]; r++) {
        for (int j = 0; j < 2; j++) {
          e[r * 2 + j] = (float) (0.3 * Math.sin(1 + f * 7 + r * 3 + j));
        }
        w[r] = (float) (0.1 * Math.cos(f + 2 * r));
      }
      t.put("emb/c" + f, new Tensor("emb/c" + f, new int[] {ROWS[f], 2}, e));
      t.put("fm/first/c" + f, new Tensor("fm/first/c" + f, new int[] {ROWS[f], 1}, w));
    }
    t.put("fm/bias", new Tensor("fm/bias", new int[] {1}, new float[] {-0.2f}));
    return CtrModel.create(m.spec(), "fm", 1, t, Map.of(), Map.of());
  }

  private static Batch batch(ModelSpec spec) {
    Batch b = new Batch(3, 3);
    FeatureVector v = spec.newFeatureVector();
    for (int i = 0; i < 3; i++) {
      for (int f = 0; f < 3; f++) {
        v.set(f, X[i][f], 1f);
      }
      b.add(v, Y[i], Float.NaN);
    }
    return b;
  }

  @Test
  void shouldScoreLikeTheNumpyFactorizationMachineInTheTrainerAndBothScorers() {
    CtrModel m = model();
    assertThat(m.spec().field(0).rows()).isEqualTo(4);
    float[] logits = new float[3];
    try (Trainer t = new Trainer(m, TrainerConfig.defaults().withBatchSize(3).withThreads(1).withGemm("java"))) {
      t.predictLogits(batch(m.spec()), logits);
    }
    FeatureVector v = m.spec().newFeatureVector();
    for (int i = 0; i < 3; i++) {
      for (int f = 0; f < 3; f++) {
        v.set(f, X[i][f], 1f);
      }
      assertThat((double) logits[i]).as("trainer " + i).isCloseTo(LOGITS[i], within(1e-5));
      assertThat((double) m.scorer().scoreLogit(v, v)).as("fast " + i).isCloseTo(LOGITS[i], within(1e-5));
      assertThat((double) m.referenceScorer().scoreLogit(v, v)).as("reference " + i).isCloseTo(LOGITS[i], within(1e-5));
    }
  }

  @Test
  void shouldComputeTheNumpyGradientAndNeverMoveTheFrozenOutputUnit() {
    CtrModel m = model();
    try (Trainer t = new Trainer(m, TrainerConfig.defaults().withBatchSize(3).withThreads(1).withGemm("java"))) {
      t.freeze("out/w");
      t.freeze("out/b");
      List<Trainer.FlatTensor> layout = t.flatLayout();
      float[] flat = new float[layout.stream().mapToInt(Trainer.FlatTensor::length).sum()];
      t.gradient(batch(m.spec()), flat);
      int off = 0;
      for (Trainer.FlatTensor ft : layout) {
        double[] expected = switch (ft.name()) {
          case "fm/bias" -> new double[] {GB};
          case "emb/c0", "emb/c1", "emb/c2" -> GE[ft.name().charAt(5) - '0'];
          case "fm/first/c0", "fm/first/c1", "fm/first/c2" -> GW[ft.name().charAt(10) - '0'];
          default -> null;
        };
        if (expected != null) {
          assertThat(ft.length()).as(ft.name()).isEqualTo(expected.length);
          for (int i = 0; i < expected.length; i++) {
            assertThat((double) flat[off + i]).as(ft.name() + "[" + i + "]").isCloseTo(expected[i], within(1e-6));
          }
        }
        off += ft.length();
      }
      for (int i = 0; i < 20; i++) {
        t.step(batch(m.spec()));
      }
      CtrModel after = t.toModel("fm", 2, Map.of());
      for (float w : after.tensor("out/w").data()) {
        assertThat(w).isZero();
      }
      assertThat(after.tensor("out/b").data()).containsExactly(0f);
      assertThat(after.tensor("fm/bias").data()[0]).isNotEqualTo(-0.2f);
    }
  }

  @Test
  void shouldTrainThePureFmBaselineEndToEnd() throws IOException {
    TrainingRun.Options o = new TrainingRun.Options("synthetic", null, 20_000, Architecture.DEEPFM, 0.2, 2, 8,
        new int[0], 0, 5, 0, TrainerConfig.defaults().withBatchSize(256).withLearningRates(0.01, 0.05), 5000, false,
        "fm", TrainingRun.EarlyStopping.defaults());
    TrainingRun.Result r = TrainingRun.run(o, null);
    assertThat(r.model().metadata()).containsEntry("trainer.arch", "fm");
    assertThat(r.validAuc()).isGreaterThan(0.65);
    for (float w : r.model().tensor("out/w").data()) {
      assertThat(w).isZero();
    }
  }

  @Test
  void shouldScaleTheFirstStepsByTheWarmUpAndDecayAfterIt() {
    TrainerConfig base = TrainerConfig.defaults().withBatchSize(3).withThreads(1).withGemm("java");
    TrainerConfig sched = base.withSchedule(10, 100);
    assertThat(sched.learningRateFactor(0)).isCloseTo(0.1, within(1e-12));
    assertThat(sched.learningRateFactor(9)).isCloseTo(1.0, within(1e-12));
    assertThat(sched.learningRateFactor(10)).isCloseTo(1.0, within(1e-12));
    assertThat(sched.learningRateFactor(310)).isCloseTo(0.5, within(1e-12));
    assertThat(base.learningRateFactor(12345)).isEqualTo(1.0);
    assertThatThrownBy(() -> base.withSchedule(-2, 0)).hasMessageContaining("-2");
    // Adam's and Adagrad's first steps have size ~lr whatever the gradient: with warm-up 10 they are ~lr/10
    double[] moved = new double[2];
    for (int k = 0; k < 2; k++) {
      try (Trainer t = new Trainer(model(), k == 0 ? base : sched)) {
        t.step(batch(model().spec()));
        moved[k] = Math.abs(t.toModel("fm", 2, Map.of()).tensor("fm/bias").data()[0] + 0.2f);
      }
    }
    assertThat(moved[1] / moved[0]).isCloseTo(0.1, within(1e-3));
  }

  @Test
  void shouldRefuseToFreezeAMissingTensorOrATable() {
    try (Trainer t = new Trainer(model(), TrainerConfig.defaults().withBatchSize(3).withThreads(1))) {
      assertThatThrownBy(() -> t.freeze("mlp/0/w")).hasMessageContaining("mlp/0/w");
      assertThatThrownBy(() -> t.freeze("emb/c0")).hasMessageContaining("emb/c0");
    }
    assertThatThrownBy(() -> TrainingRun.pureFm(CtrModel.random(ModelSpec.builder().name("d")
        .architecture(Architecture.DNN).fields(spec().fields()).mlp(4).build(), 1))).hasMessageContaining("DNN");
  }
}
