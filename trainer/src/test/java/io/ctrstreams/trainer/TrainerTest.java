package io.ctrstreams.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.LowRankConfig;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.format.CtrmFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrainerTest {

  private static List<FieldSpec> fields() {
    List<FieldSpec> f = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      f.add(FieldSpec.categorical("c" + i, i < 2 ? FieldSpec.Role.CONTEXT : FieldSpec.Role.CANDIDATE, 0, 50, 4));
    }
    f.add(FieldSpec.logBucket("n0", FieldSpec.Role.CONTEXT, 16, 4));
    return f;
  }

  private static Map<String, ModelSpec> specs() {
    return Map.of(
        "dnn", ModelSpec.builder().name("dnn").architecture(Architecture.DNN).fields(fields()).mlp(16, 8).build(),
        "dnn-lowrank-folded", ModelSpec.builder().name("dnnlr").architecture(Architecture.DNN).fields(fields()).mlp(16, 8)
            .lowRank(new LowRankConfig(2, true, new int[] {0, 4}, new int[0], false, Map.of())).build(),
        "deepfm", ModelSpec.builder().name("fm").architecture(Architecture.DEEPFM).fields(fields()).mlp(8).build(),
        "dcnv2", ModelSpec.builder().name("dcn").architecture(Architecture.DCNV2).fields(fields()).mlp(8).crossLayers(2)
            .crossStructure(CrossStructure.PARALLEL)
            .lowRank(new LowRankConfig(0, false, new int[0], new int[] {3, 0}, false, Map.of())).build());
  }

  /** Labels from a planted rule: field c0 row parity and c2 row below 10. */
  private static Batch batch(ModelSpec spec, int n, long seed) {
    Random r = new Random(seed);
    Batch b = new Batch(spec.fieldCount(), n);
    FeatureVector v = spec.newFeatureVector();
    for (int i = 0; i < n; i++) {
      for (int f = 0; f < spec.fieldCount(); f++) {
        v.set(f, r.nextInt(spec.field(f).rows()), 1f);
      }
      boolean click = (v.index()[0] % 2 == 0) ^ (v.index()[2] < 10) ^ (r.nextDouble() < 0.1);
      b.add(v, click ? 1f : 0f, Float.NaN);
    }
    return b;
  }

  @Test
  void shouldReduceTheLossOfEveryArchitectureOnAFixedBatch() {
    for (Map.Entry<String, ModelSpec> e : specs().entrySet()) {
      Batch b = batch(e.getValue(), 128, 1);
      TrainerConfig cfg = TrainerConfig.defaults().withBatchSize(128).withLearningRates(0.01, 0.1).withGemm("java");
      try (Trainer t = new Trainer(CtrModel.random(e.getValue(), 3), cfg)) {
        double first = t.loss(b);
        for (int i = 0; i < 60; i++) {
          t.step(b);
        }
        assertThat(t.loss(b)).as(e.getKey()).isLessThan(first * 0.6);
      }
    }
  }

  @Test
  void shouldMatchStepBitForBitWhenTheGradientIsAppliedSeparately() {
    // gradient() + applyGradient() is the data-parallel path (issue 15); with one worker and no
    // compression it must be the same update as step() (embedding L2 = 0: step() also decays
    // rows whose summed gradient is exactly zero, applyGradient() skips them)
    for (Map.Entry<String, ModelSpec> e : specs().entrySet()) {
      TrainerConfig cfg = TrainerConfig.defaults().withBatchSize(64).withLearningRates(0.01, 0.1).withL2(1e-4, 0)
          .withGemm("java").withThreads(2);
      CtrModel init = CtrModel.random(e.getValue(), 5);
      try (Trainer a = new Trainer(init, cfg); Trainer b = new Trainer(init, cfg)) {
        int d = 0;
        for (Trainer.FlatTensor t : b.flatLayout()) {
          d += t.length();
        }
        float[] g = new float[d];
        for (int s = 0; s < 5; s++) {
          Batch batch = batch(e.getValue(), 64, 100 + s);
          double la = a.step(batch);
          double lb = b.gradient(batch, g);
          b.applyGradient(g, Trainer.Update.ADAPTIVE);
          assertThat(lb).as(e.getKey()).isEqualTo(la);
        }
        CtrModel ma = a.toModel("m", 0, Map.of());
        CtrModel mb = b.toModel("m", 0, Map.of());
        for (Tensor t : ma.tensors()) {
          assertThat(mb.tensor(t.name()).data()).as(e.getKey() + " " + t.name()).containsExactly(t.data());
        }
      }
    }
  }

  @Test
  void shouldApplyPlainSgdToDenseTensorsAndTheSentRowsOfTables() {
    ModelSpec spec = specs().get("dnn");
    TrainerConfig cfg = TrainerConfig.defaults().withBatchSize(32).withLearningRates(0.1, 0.5).withL2(0.01, 0.02)
        .withGemm("java").withThreads(1);
    CtrModel init = CtrModel.random(spec, 9);
    try (Trainer t = new Trainer(init, cfg)) {
      List<Trainer.FlatTensor> layout = t.flatLayout();
      int d = 0;
      for (Trainer.FlatTensor ft : layout) {
        d += ft.length();
      }
      float[] g = new float[d];
      t.gradient(batch(spec, 32, 3), g);
      CtrModel before = t.toModel("m", 0, Map.of());
      t.applyGradient(g, Trainer.Update.SGD);
      CtrModel after = t.toModel("m", 0, Map.of());
      int off = 0;
      for (Trainer.FlatTensor ft : layout) {
        float[] w0 = before.tensor(ft.name()).data();
        float[] w1 = after.tensor(ft.name()).data();
        boolean table = ft.unit() > 1 || ft.name().startsWith("emb/");
        boolean matrix = before.tensor(ft.name()).shape().length == 2;
        for (int i = 0; i < w0.length; i++) {
          float gi = g[off + i];
          float expect;
          if (table) {
            int row = i / ft.unit();
            boolean sent = false;
            for (int c = 0; c < ft.unit(); c++) {
              sent |= g[off + row * ft.unit() + c] != 0f;
            }
            expect = sent ? w0[i] - 0.5f * (gi + 0.02f * w0[i]) : w0[i];
          } else {
            expect = w0[i] - 0.1f * (gi + (matrix ? 0.01f : 0f) * w0[i]);
          }
          assertThat(w1[i]).as(ft.name() + "[" + i + "]").isEqualTo(expect);
        }
        off += ft.length();
      }
    }
  }

  @Test
  void shouldBeReproducibleForASeedAndIndependentOfThreadCount() {
    ModelSpec spec = specs().get("dnn");
    CtrModel init = CtrModel.random(spec, 11);
    float[][] out = new float[3][];
    int k = 0;
    for (int threads : new int[] {2, 2, 1}) {
      try (Trainer t = new Trainer(init, TrainerConfig.defaults().withBatchSize(64).withThreads(threads))) {
        for (int s = 0; s < 10; s++) {
          t.step(batch(spec, 64, 100 + s));
        }
        out[k++] = t.toModel("m", 1, Map.of()).tensor("mlp/0/w").data();
      }
    }
    assertThat(out[1]).containsExactly(out[0]);
    // One thread sums the same gradients in another order: float rounding only, so nearly all
    // weights agree closely (Adam's normalization can amplify a rounding-level gradient near 0).
    int far = 0;
    for (int i = 0; i < out[0].length; i++) {
      far += Math.abs(out[2][i] - out[0][i]) > 1e-4f ? 1 : 0;
    }
    assertThat(far).isLessThanOrEqualTo(out[0].length / 50);
  }

  @Test
  void shouldReportTheOptimizersMeanSquaredGradientPerValueOnOneScale() {
    ModelSpec spec = specs().get("dnn");
    CtrModel init = CtrModel.random(spec, 2);
    Batch b = new Batch(spec.fieldCount(), 4);
    FeatureVector v = spec.newFeatureVector();
    for (int f = 0; f < spec.fieldCount(); f++) {
      v.set(f, 3, 1f);
    }
    b.add(v, 1f, Float.NaN);
    try (Trainer t = new Trainer(init, TrainerConfig.defaults().withBatchSize(4))) {
      float[] table = new float[init.tensor("emb/c0").size()];
      assertThat(t.meanSquaredGradient("emb/c0", table)).isFalse(); // no step yet: no state
      t.step(b);
      t.step(b);
      assertThat(t.meanSquaredGradient("emb/c0", table)).isTrue();
      assertThat(t.meanSquaredGradient("no/such", table)).isFalse();
      // a table: Adagrad's accumulator over the steps taken; only the touched row has any
      for (int row = 0; row < spec.field(0).rows(); row++) {
        for (int j = 0; j < 4; j++) {
          if (row == 3) {
            assertThat(table[row * 4 + j]).isPositive();
          } else {
            assertThat(table[row * 4 + j]).isZero();
          }
        }
      }
      // a dense tensor: Adam's v, every value the batch reached
      String dense = init.tensors().stream().filter(x -> !x.name().startsWith("emb/")).findFirst().orElseThrow().name();
      float[] d = new float[init.tensor(dense).size()];
      assertThat(t.meanSquaredGradient(dense, d)).isTrue();
      for (float x : d) {
        assertThat(x).isGreaterThanOrEqualTo(0f);
      }
      assertThatThrownBy(() -> t.meanSquaredGradient("emb/c0", new float[3])).hasMessageContaining("emb/c0");
    }
  }

  @Test
  void shouldUpdateOnlyTouchedEmbeddingRows() {
    ModelSpec spec = specs().get("dnn");
    CtrModel init = CtrModel.random(spec, 2);
    Batch b = new Batch(spec.fieldCount(), 4);
    FeatureVector v = spec.newFeatureVector();
    for (int f = 0; f < spec.fieldCount(); f++) {
      v.set(f, 3, 1f);
    }
    b.add(v, 1f, Float.NaN);
    try (Trainer t = new Trainer(init, TrainerConfig.defaults().withBatchSize(4))) {
      t.step(b);
      float[] before = init.tensor("emb/c0").data();
      float[] after = t.toModel("m", 1, Map.of()).tensor("emb/c0").data();
      for (int row = 0; row < spec.field(0).rows(); row++) {
        for (int j = 0; j < 4; j++) {
          if (row == 3) {
            assertThat(after[row * 4 + j]).isNotEqualTo(before[row * 4 + j]);
          } else {
            assertThat(after[row * 4 + j]).isEqualTo(before[row * 4 + j]);
          }
        }
      }
    }
  }

  @Test
  void shouldDistillTowardSoftTeacherTargets() {
    ModelSpec spec = specs().get("dnn");
    Batch hard = batch(spec, 256, 5);
    Batch soft = new Batch(spec.fieldCount(), 256);
    for (int i = 0; i < hard.size(); i++) {
      soft.addFrom(hard, i);
      soft.teacher[i] = 0.2f; // a teacher that says 20% everywhere
    }
    TrainerConfig cfg = TrainerConfig.defaults().withBatchSize(256).withDistillation(0.0, 2.0).withLearningRates(0.01, 0.1);
    try (Trainer t = new Trainer(CtrModel.random(spec, 4), cfg)) {
      for (int i = 0; i < 150; i++) {
        t.step(soft);
      }
      float[] logits = new float[256];
      t.predictLogits(soft, logits);
      double mean = 0;
      for (int i = 0; i < 256; i++) {
        mean += Trainer.sigmoid(logits[i]) / 256;
      }
      // Pure distillation ignores the labels (about half positive) and matches the teacher.
      assertThat(mean).isCloseTo(0.2, within(0.03));
    }
  }

  @Test
  void shouldWriteCheckpointsThatScoreLikeTheTrainer() {
    ModelSpec spec = specs().get("deepfm");
    Batch b = batch(spec, 32, 8);
    try (Trainer t = new Trainer(CtrModel.random(spec, 1), TrainerConfig.defaults().withBatchSize(32))) {
      for (int i = 0; i < 5; i++) {
        t.step(b);
      }
      float[] logits = new float[32];
      t.predictLogits(b, logits);
      CtrModel m = CtrModel.fromFile(CtrmFormat.read(CtrmFormat.toBytes(t.toModel("ckpt", 7, Map.of("k", "v")).toFile())));
      assertThat(m.version()).isEqualTo(7);
      FeatureVector v = spec.newFeatureVector();
      for (int i = 0; i < 32; i++) {
        for (int f = 0; f < spec.fieldCount(); f++) {
          v.set(f, b.index[i * spec.fieldCount() + f], b.value[i * spec.fieldCount() + f]);
        }
        assertThat(m.referenceScorer().scoreLogit(v, v)).isCloseTo(logits[i], within(1e-4f));
      }
    }
  }

  @Test
  void shouldRejectOversizedBatchesAndBadConfig() {
    ModelSpec spec = specs().get("dnn");
    try (Trainer t = new Trainer(CtrModel.random(spec, 1), TrainerConfig.defaults().withBatchSize(8))) {
      assertThatThrownBy(() -> t.step(batch(spec, 9, 1))).isInstanceOf(TrainerException.class)
          .hasMessageContaining("9 examples");
    }
    assertThatThrownBy(() -> TrainerConfig.defaults().withThreads(0)).hasMessageContaining("found 0");
    assertThatThrownBy(() -> TrainerConfig.defaults().withDistillation(1.5, 1)).hasMessageContaining("1.5");
    assertThatThrownBy(() -> TrainerConfig.defaults().withGemm("cuda")).hasMessageContaining("cuda");
  }

  @Test
  void shouldKeepTensorNamesAndShapesOfTheSpec() {
    ModelSpec spec = specs().get("dcnv2");
    try (Trainer t = new Trainer(CtrModel.random(spec, 1), TrainerConfig.defaults())) {
      CtrModel m = t.toModel("x", 1, Map.of());
      for (Tensor x : CtrModel.random(spec, 2).tensors()) {
        assertThat(m.tensor(x.name()).shape()).containsExactly(x.shape());
      }
    }
  }
}
