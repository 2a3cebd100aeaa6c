package io.ctrstreams.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Lazy per-row embedding L2 under Adagrad, and dropout, at the level of {@link Trainer}. */
class RegularizationTest {
  private static final int ROWS = 48;
  private static final int BATCH = 16;

  private static ModelSpec spec(Architecture arch) {
    List<FieldSpec> f = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      f.add(FieldSpec.categorical("c" + i, i == 0 ? FieldSpec.Role.CONTEXT : FieldSpec.Role.CANDIDATE, 0, ROWS, 4));
    }
    return ModelSpec.builder().name("reg").architecture(arch).fields(f).mlp(8).build();
  }

  /**
   * Step {@code s} reads rows of one of four row blocks only (block {@code s % 4}), so every row
   * sits out three steps between two updates: the lazy decay has steps to catch up.
   */
  private static Batch batch(ModelSpec spec, int s, Random r) {
    Batch b = new Batch(spec.fieldCount(), BATCH);
    FeatureVector v = spec.newFeatureVector();
    int block = ROWS / 4;
    for (int i = 0; i < BATCH; i++) {
      for (int f = 0; f < spec.fieldCount(); f++) {
        v.set(f, (s % 4) * block + r.nextInt(block), 1f);
      }
      b.add(v, r.nextBoolean() ? 1f : 0f, Float.NaN);
    }
    return b;
  }

  private static boolean isTable(String name) {
    return name.startsWith("emb/") || name.startsWith("fm/first/");
  }

  @Test
  void shouldEqualEagerEmbeddingL2WhileTheAccumulatorIsFixed() {
    // Reference: the eager form. Every step, rows the batch reads get Adagrad on (data gradient +
    // l2 w); every other row that has been updated before gets the L2 step alone, w -= lr l2 w /
    // (sqrt(a) + eps), under its accumulator a, which is held fixed (the condition under which the
    // lazy closed form is exact). Dense tensors are frozen so only tables move; the data
    // gradient comes from Trainer.gradient on a trainer rebuilt from the reference weights.
    // DeepFM: its pairwise term gives every coordinate of a read row a gradient of real size
    // (S - e), so no accumulator stays near 0; where one does (a DNN row behind dead ReLUs), the
    // eager step itself, lr l2 / sqrt(a) > 1, overshoots and oscillates instead of decaying.
    for (Architecture arch : new Architecture[] {Architecture.DEEPFM}) {
      ModelSpec spec = spec(arch);
      double lr = 0.1;
      double l2 = 1e-4;
      TrainerConfig cfg = TrainerConfig.defaults().withBatchSize(BATCH).withLearningRates(0.01, lr).withL2(0, l2)
          .withGemm("java").withThreads(1);
      TrainerConfig noL2 = cfg.withL2(0, 0);
      CtrModel init = CtrModel.random(spec, 3);
      Map<String, float[]> ref = new LinkedHashMap<>();
      Map<String, float[]> acc = new LinkedHashMap<>();
      Map<String, boolean[]> started = new LinkedHashMap<>();
      Map<String, float[]> touchedOnly = new LinkedHashMap<>(); // today's form: L2 on touched rows only
      Map<String, float[]> accTouchedOnly = new LinkedHashMap<>();
      for (Tensor t : init.tensors()) {
        if (isTable(t.name())) {
          ref.put(t.name(), t.data().clone());
          acc.put(t.name(), new float[t.data().length]);
          started.put(t.name(), new boolean[t.shape()[0]]);
          touchedOnly.put(t.name(), t.data().clone());
          accTouchedOnly.put(t.name(), new float[t.data().length]);
        }
      }
      Random r = new Random(7);
      try (Trainer lazy = new Trainer(init, cfg)) {
        freezeDense(lazy);
        for (int s = 0; s < 12; s++) {
          Batch b = batch(spec, s, r);
          float[] g = gradientAt(init, ref, noL2, b);
          eagerStep(lazy, spec, b, g, ref, acc, started, lr, l2, true);
          eagerStep(lazy, spec, b, gradientAt(init, touchedOnly, noL2, b), touchedOnly, accTouchedOnly, null, lr, l2,
              false);
          lazy.step(b);
        }
        CtrModel m = lazy.toModel("m", 1, Map.of());
        double maxErr = 0;
        double maxGap = 0;
        String worst = "";
        for (String name : ref.keySet()) {
          float[] got = m.tensor(name).data();
          float[] want = ref.get(name);
          float[] old = touchedOnly.get(name);
          for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - want[i]) / Math.max(1e-2, Math.abs(want[i]));
            if (err > maxErr) {
              worst = name + "[" + i + "] lazy " + got[i] + " eager " + want[i] + " touched-only " + old[i]
                  + " init " + init.tensor(name).data()[i];
            }
            maxErr = Math.max(maxErr, err);
            maxGap = Math.max(maxGap, Math.abs(old[i] - want[i]) / Math.max(1e-2, Math.abs(want[i])));
          }
        }
        // float rounding of pow versus repeated products, and gradients taken at weights that
        // differ at that level
        assertThat(maxErr).as("%s: lazy vs eager, max relative error at %s", arch, worst).isLessThan(1e-4);
        // the test can tell: L2 on touched rows only misses the decay of the steps in between
        assertThat(maxGap).as("%s: touched-only L2 vs eager", arch).isGreaterThan(1e-2);
      }
    }
  }

  private static void freezeDense(Trainer t) {
    for (Trainer.FlatTensor ft : t.flatLayout()) {
      if (!isTable(ft.name())) {
        t.freeze(ft.name());
      }
    }
  }

  /** The mean data gradient (no L2) of {@code b} at weights {@code tables} (dense as in {@code init}). */
  private static float[] gradientAt(CtrModel init, Map<String, float[]> tables, TrainerConfig cfg, Batch b) {
    Map<String, Tensor> ts = new LinkedHashMap<>();
    for (Tensor t : init.tensors()) {
      float[] w = tables.get(t.name());
      ts.put(t.name(), w == null ? t : new Tensor(t.name(), t.shape(), w.clone()));
    }
    CtrModel m = CtrModel.create(init.spec(), init.name(), 1, ts, init.vocabularies(), Map.of());
    try (Trainer t = new Trainer(m, cfg)) {
      int d = 0;
      for (Trainer.FlatTensor ft : t.flatLayout()) {
        d += ft.length();
      }
      float[] g = new float[d];
      t.gradient(b, g);
      return g;
    }
  }

  /**
   * One eager step of the tables in {@code w}: Adagrad on the rows {@code b} reads; with {@code
   * decayIdle}, the L2 step under the fixed accumulator on every other started row.
   */
  private static void eagerStep(Trainer layoutOf, ModelSpec spec, Batch b, float[] g, Map<String, float[]> w,
      Map<String, float[]> acc, Map<String, boolean[]> started, double lr, double l2, boolean decayIdle) {
    int off = 0;
    for (Trainer.FlatTensor ft : layoutOf.flatLayout()) {
      if (isTable(ft.name())) {
        int field = fieldOf(spec, ft.name());
        Set<Integer> read = new HashSet<>();
        for (int e = 0; e < b.size(); e++) {
          read.add(b.index[e * b.fields() + field]);
        }
        float[] x = w.get(ft.name());
        float[] a = acc.get(ft.name());
        int cols = ft.unit();
        for (int row = 0; row < x.length / cols; row++) {
          for (int j = 0; j < cols; j++) {
            int k = row * cols + j;
            if (read.contains(row)) {
              float gj = g[off + k] + (float) l2 * x[k];
              a[k] += gj * gj;
              x[k] -= (float) lr * gj / ((float) Math.sqrt(a[k]) + 1e-8f);
            } else if (decayIdle && started.get(ft.name())[row]) {

              x[k] -= (float) (lr * l2 * x[k] / (Math.sqrt(a[k]) + 1e-8));
            }
          }
          if (read.contains(row) && started != null) {
            started.get(ft.name())[row] = true;
          }
        }
      }
      off += ft.length();
    }
  }

  private static int fieldOf(ModelSpec spec, String table) {
    String field = table.substring(table.lastIndexOf('/') + 1);
    for (int f = 0; f < spec.fieldCount(); f++) {
      if (spec.field(f).name().equals(field)) {
        return f;
      }
    }
    throw new IllegalArgumentException(table);
  }

  @Test
  void shouldNotDecayRowsThatWereNeverUpdated() {
    ModelSpec spec = spec(Architecture.DNN);
    CtrModel init = CtrModel.random(spec, 4);
    TrainerConfig cfg = TrainerConfig.defaults().withBatchSize(BATCH).withL2(0, 0.5).withGemm("java").withThreads(1);
    Random r = new Random(1);
    try (Trainer t = new Trainer(init, cfg)) {
      for (int s = 0; s < 6; s++) {
        t.step(batch(spec, 0, r)); // block 0 only
      }
      float[] before = init.tensor("emb/c1").data();
      float[] after = t.toModel("m", 1, Map.of()).tensor("emb/c1").data();
      for (int i = (ROWS / 4) * 4; i < after.length; i++) {
        assertThat(after[i]).as("row %d", i / 4).isEqualTo(before[i]);
      }
    }
  }

  @Test
  void shouldTrainReproduciblyWithDropoutAndNotDependOnTheThreadCount() {
    ModelSpec spec = spec(Architecture.DNN);
    CtrModel init = CtrModel.random(spec, 11);
    float[][] out = new float[4][];
    int k = 0;
    for (double p : new double[] {0.2, 0.2, 0.2, 0}) {
      int threads = k == 2 ? 1 : 2;
      TrainerConfig cfg = TrainerConfig.defaults().withBatchSize(BATCH).withThreads(threads).withGemm("java")
          .withDropout(p);
      try (Trainer t = new Trainer(init, cfg)) {
        Random r = new Random(5);
        for (int s = 0; s < 10; s++) {
          t.step(batch(spec, s, r));
        }
        out[k++] = t.toModel("m", 1, Map.of()).tensor("mlp/0/w").data();
      }
    }
    assertThat(out[1]).containsExactly(out[0]);
    // one thread: the same masks (they do not depend on the split), gradients summed in another order
    for (int i = 0; i < out[0].length; i++) {
      assertThat(out[2][i]).isCloseTo(out[0][i], org.assertj.core.api.Assertions.within(1e-4f));
    }
    assertThat(out[3]).isNotEqualTo(out[0]);
  }

  @Test
  void shouldNameAnInvalidDropout() {
    assertThatThrownBy(() -> TrainerConfig.defaults().withDropout(1.0)).hasMessageContaining("dropout")
        .hasMessageContaining("1.0");
    assertThatThrownBy(() -> TrainerConfig.defaults().withDropout(-0.1)).hasMessageContaining("-0.1");
  }
}
