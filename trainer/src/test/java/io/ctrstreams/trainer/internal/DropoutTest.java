package io.ctrstreams.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.internal.MatMuls;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Inverted dropout on hidden MLP outputs ({@link Replica#forwardTrain}). */
class DropoutTest {
  private static final int N = 7;
  private static final long SEED = 42;
  private static final long STEP = 3;

  private static int[][] data(ModelSpec spec, long seed, float[] val, float[] y) {
    Random r = new Random(seed);
    int nf = spec.fieldCount();
    int[] idx = new int[N * nf];
    for (int e = 0; e < N; e++) {
      for (int f = 0; f < nf; f++) {
        FieldSpec fs = spec.field(f);
        idx[e * nf + f] = fs.isLookup() ? r.nextInt(fs.rows()) : 0;
        val[e * nf + f] = fs.isLookup() ? 1f : (float) r.nextGaussian();
      }
      y[e] = r.nextBoolean() ? 1f : 0f;
    }
    return new int[][] {idx};
  }

  /** Weights doubled (as in ReplicaTest) so deep gradients are not vanishingly small. */
  private static CtrModel model(ModelSpec spec) {
    CtrModel m = CtrModel.random(spec, 17);
    Map<String, io.ctrstreams.model.Tensor> ts = new java.util.LinkedHashMap<>();
    Random r = new Random(5);
    for (io.ctrstreams.model.Tensor t : m.tensors()) {
      float[] d = t.data().clone();
      for (int i = 0; i < d.length; i++) {
        d[i] = d[i] * 2f + (t.rank() == 1 ? (float) (0.1 * r.nextGaussian()) : 0f);
      }
      ts.put(t.name(), new io.ctrstreams.model.Tensor(t.name(), t.shape(), d));
    }
    Map<String, java.util.List<String>> vocab = new HashMap<>();
    for (FieldSpec f : spec.fields()) {
      if (m.vocabulary(f.name()) != null && !m.vocabulary(f.name()).isEmpty()) {
        vocab.put(f.name(), m.vocabulary(f.name()));
      }
    }
    return CtrModel.create(spec, spec.name(), 1, ts, vocab, Map.of());
  }

  @Test
  void shouldZeroTheMaskedUnitsAndScaleTheKeptOnesByOneOverOneMinusP() {
    double p = 0.3;
    for (Map.Entry<String, ModelSpec> c : Specs.all().entrySet()) {
      ModelSpec spec = c.getValue();
      if (spec.mlpLayers() == 0) {
        continue;
      }
      ParamStore ps = new ParamStore(model(spec));
      Replica eval = new Replica(ps, N, MatMuls.java());
      Replica train = new Replica(ps, N, MatMuls.java());
      train.setDropout(p, SEED);
      float[] val = new float[N * spec.fieldCount()];
      float[] y = new float[N];
      int[] idx = data(spec, 1, val, y)[0];
      float[] le = new float[N];
      float[] lt = new float[N];
      eval.forward(idx, val, 0, N, le);
      train.forwardTrain(idx, val, 0, N, lt, STEP);
      // Layer 0 reads the same input in both passes: kept units are the eval value / (1 - p).
      int m = spec.mlp()[0];
      float[] he = eval.hidden(0);
      float[] ht = train.hidden(0);
      for (int r = 0; r < N; r++) {
        for (int j = 0; j < m; j++) {
          float expect = Replica.dropoutKeeps(SEED, STEP, r, 0, j, p) ? he[r * m + j] * (float) (1 / (1 - p)) : 0f;
          assertThat(ht[r * m + j]).as("%s example %d unit %d", c.getKey(), r, j).isEqualTo(expect);
        }
      }
      // Deeper layers: dropped units are exactly zero.
      for (int i = 1; i < spec.mlpLayers(); i++) {
        int w = spec.mlp()[i];
        for (int r = 0; r < N; r++) {
          for (int j = 0; j < w; j++) {
            if (!Replica.dropoutKeeps(SEED, STEP, r, i, j, p)) {
              assertThat(train.hidden(i)[r * w + j]).isZero();
            }
          }
        }
      }
    }
  }

  @Test
  void shouldDropAboutAShareOfPOfTheUnitsIndependentlyOfStepAndExample() {
    // 200,000 draws: the share's standard error is ~0.001, so 0.01 is > 9 sigma.
    for (double p : new double[] {0.1, 0.2, 0.5}) {
      int dropped = 0;
      int total = 0;
      for (long step = 0; step < 50; step++) {
        for (int e = 0; e < 40; e++) {
          for (int j = 0; j < 100; j++) {
            dropped += Replica.dropoutKeeps(SEED, step, e, (int) (step % 3), j, p) ? 0 : 1;
            total++;
          }
        }
      }
      assertThat(dropped / (double) total).as("p=%s", p).isBetween(p - 0.01, p + 0.01);
    }
    assertThat(Replica.dropoutKeeps(SEED, 1, 2, 0, 3, 0.0)).isTrue();
  }

  @Test
  void shouldBeBitIdenticalToTheInferencePassWithoutDropout() {
    for (Map.Entry<String, ModelSpec> c : Specs.all().entrySet()) {
      ModelSpec spec = c.getValue();
      ParamStore ps = new ParamStore(model(spec));
      Replica a = new Replica(ps, N, MatMuls.java());
      Replica b = new Replica(ps, N, MatMuls.java());
      b.setDropout(0, SEED);
      float[] val = new float[N * spec.fieldCount()];
      float[] y = new float[N];
      int[] idx = data(spec, 2, val, y)[0];
      float[] la = new float[N];
      float[] lb = new float[N];
      a.forward(idx, val, 0, N, la);
      b.forwardTrain(idx, val, 0, N, lb, STEP);
      assertThat(lb).as(c.getKey()).containsExactly(la);
      float[] dl = new float[N];
      for (int i = 0; i < N; i++) {
        dl[i] = (float) ((1 / (1 + Math.exp(-la[i])) - y[i]) / N);
      }
      a.zeroGrads();
      a.backward(dl, 0);
      b.zeroGrads();
      b.backward(dl, 0);
      for (ParamStore.Param q : ps.params()) {
        if (!q.sparse) {
          assertThat(b.grads[q.index]).as("%s %s", c.getKey(), q.name).containsExactly(a.grads[q.index]);
        }
      }
    }
  }

  @Test
  void shouldLeaveTheInferencePassUnchangedWhenDropoutIsOn() {
    for (Map.Entry<String, ModelSpec> c : Specs.all().entrySet()) {
      ModelSpec spec = c.getValue();
      ParamStore ps = new ParamStore(model(spec));
      Replica plain = new Replica(ps, N, MatMuls.java());
      Replica dropping = new Replica(ps, N, MatMuls.java());
      dropping.setDropout(0.5, SEED);
      float[] val = new float[N * spec.fieldCount()];
      float[] y = new float[N];
      int[] idx = data(spec, 3, val, y)[0];
      float[] la = new float[N];
      float[] lb = new float[N];
      float[] lt = new float[N];
      plain.forward(idx, val, 0, N, la);
      dropping.forwardTrain(idx, val, 0, N, lt, STEP);
      dropping.forward(idx, val, 0, N, lb);
      assertThat(lb).as(c.getKey()).containsExactly(la);
      if (spec.mlpLayers() > 0) {
        assertThat(lt).as(c.getKey()).isNotEqualTo(la);
      }
    }
  }

  private static double loss(Replica rep, int[] idx, float[] val, float[] y, float[] logits) {
    rep.forwardTrain(idx, val, 0, N, logits, STEP);
    double s = 0;
    for (int i = 0; i < N; i++) {
      double z = logits[i];
      s += Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - y[i] * z;
    }
    return s / N;
  }

  @Test
  void shouldMatchFiniteDifferencesThroughAFixedMask() {
    // The mask is a pure function of (seed, step, example, layer, unit): at a fixed step the
    // training loss is a deterministic function of the weights, so central differences apply.
    double p = 0.25;
    for (Map.Entry<String, ModelSpec> c : Specs.all().entrySet()) {
      ModelSpec spec = c.getValue();
      if (spec.mlpLayers() == 0) {
        continue;
      }
      ParamStore ps = new ParamStore(model(spec));
      Replica rep = new Replica(ps, N, MatMuls.java());
      rep.setDropout(p, SEED);
      float[] val = new float[N * spec.fieldCount()];
      float[] y = new float[N];
      int[] idx = data(spec, 4, val, y)[0];
      float[] logits = new float[N];
      loss(rep, idx, val, y, logits);
      float[] dl = new float[N];
      for (int i = 0; i < N; i++) {
        dl[i] = (float) ((1 / (1 + Math.exp(-logits[i])) - y[i]) / N);
      }
      rep.zeroGrads();
      rep.backward(dl, 0);
      int checked = 0;
      int kinks = 0;
      for (ParamStore.Param q : ps.params()) {
        if (q.sparse || !q.name.startsWith("mlp/") && !q.name.startsWith("out/")) {
          continue;
        }
        float[] g = rep.grads[q.index];
        for (int i = 0; i < q.w.length; i++) {
          double n1 = central(rep, idx, val, y, logits, q, i, 2e-3f);
          double n2 = central(rep, idx, val, y, logits, q, i, 1e-3f);
          if (Math.abs(n1 - n2) > 1e-3 + 0.02 * Math.abs(n2)) {
            kinks++; // a ReLU kink between w - eps and w + eps (see ReplicaTest)
            continue;
          }
          assertThat(Math.abs(n2 - g[i]))
              .as("%s %s[%d]: numeric %g analytic %g", c.getKey(), q.name, i, n2, g[i])
              .isLessThanOrEqualTo(5e-4 + 0.01 * Math.max(Math.abs(n2), Math.abs(g[i])));
          checked++;
        }
      }
      assertThat(kinks).as(c.getKey()).isLessThanOrEqualTo(checked / 20);
      assertThat(checked).as(c.getKey()).isGreaterThan(20);
    }
  }

  private static double central(Replica rep, int[] idx, float[] val, float[] y, float[] logits, ParamStore.Param p,
      int i, float eps) {
    float old = p.w[i];
    p.w[i] = old + eps;
    double lp = loss(rep, idx, val, y, logits);
    p.w[i] = old - eps;
    double lm = loss(rep, idx, val, y, logits);
    p.w[i] = old;
    return (lp - lm) / (2 * eps);
  }
}
