package io.ctrstreams.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.internal.MatMuls;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReplicaTest {
  private static final int N = 7;

  private record Data(int[] idx, float[] val, float[] y) {}

  private static Data data(ModelSpec spec, long seed) {
    Random r = new Random(seed);
    int nf = spec.fieldCount();
    int[] idx = new int[N * nf];
    float[] val = new float[N * nf];
    float[] y = new float[N];
    for (int e = 0; e < N; e++) {
      for (int f = 0; f < nf; f++) {
        FieldSpec fs = spec.field(f);
        idx[e * nf + f] = fs.isLookup() ? r.nextInt(fs.rows()) : 0;
        val[e * nf + f] = fs.isLookup() ? 1f : (float) (r.nextGaussian());
      }
      y[e] = r.nextBoolean() ? 1f : 0f;
    }
    // Repeat a row so duplicate-row gradients are summed.
    idx[nf] = idx[0];
    return new Data(idx, val, y);
  }

  /** Scales weights up so that gradients through deep layers are not vanishingly small. */
  private static CtrModel model(ModelSpec spec, long seed) {
    CtrModel m = CtrModel.random(spec, seed);
    Map<String, Tensor> ts = new LinkedHashMap<>();
    for (Tensor t : m.tensors()) {
      float[] d = t.data().clone();
      Random r = new Random(seed + t.name().hashCode());
      for (int i = 0; i < d.length; i++) {
        d[i] = d[i] * 2f + (t.rank() == 1 ? (float) (0.1 * r.nextGaussian()) : 0f);
      }
      ts.put(t.name(), new Tensor(t.name(), t.shape(), d));
    }
    Map<String, java.util.List<String>> vocab = new HashMap<>();
    for (FieldSpec f : spec.fields()) {
      if (m.vocabulary(f.name()) != null && !m.vocabulary(f.name()).isEmpty()) {
        vocab.put(f.name(), m.vocabulary(f.name()));
      }
    }
    return CtrModel.create(spec, spec.name(), 1, ts, vocab, Map.of());
  }

  private static double loss(Replica rep, Data d, float[] logits) {
    rep.forward(d.idx, d.val, 0, N, logits);
    double s = 0;
    for (int i = 0; i < N; i++) {
      double z = logits[i];
      s += Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - d.y[i] * z;
    }
    return s / N;
  }

  @Test
  void shouldMatchFiniteDifferencesForEveryParameterOfEveryLayerType() {
    for (Map.Entry<String, ModelSpec> c : Specs.all().entrySet()) {
      ModelSpec spec = c.getValue();
      long seed = 17;
      ParamStore ps = new ParamStore(model(spec, seed));
      Replica rep = new Replica(ps, N, MatMuls.java());
      Data d = data(spec, seed);
      float[] logits = new float[N];
      loss(rep, d, logits);
      float[] dl = new float[N];
      for (int i = 0; i < N; i++) {
        dl[i] = (float) ((1 / (1 + Math.exp(-logits[i])) - d.y[i]) / N);
      }
      rep.zeroGrads();
      rep.backward(dl, 0);
      Map<String, float[]> sparse = new HashMap<>();
      for (int f = 0; f < spec.fieldCount(); f++) {
        ParamStore.Param t = rep.table(f);
        float[] g = new float[t.w.length];
        for (int r = 0; r < N; r++) {
          for (int j = 0; j < t.cols; j++) {
            g[rep.row(r, f) * t.cols + j] += rep.tableGrad[f][r * t.cols + j];
          }
        }
        sparse.put(t.name, g);
        if (rep.fmFirst(f) != null) {
          float[] gf = new float[rep.fmFirst(f).w.length];
          for (int r = 0; r < N; r++) {
            gf[rep.row(r, f)] += rep.fmFirstGrad[f][r];
          }
          sparse.put(rep.fmFirst(f).name, gf);
        }
      }
      int checked = 0;
      int kinks = 0;
      for (ParamStore.Param p : ps.params()) {
        float[] g = p.sparse ? sparse.get(p.name) : rep.grads[p.index];
        assertThat(g).as("%s %s", c.getKey(), p.name).isNotNull();
        // Every element of these tiny tensors. ReLU kinks make a central difference wrong when
        // w +- eps crosses one; two step sizes that disagree reveal that, and such coordinates
        // are skipped (and counted: they must stay rare).
        for (int i = 0; i < p.w.length; i++) {
          double n1 = central(rep, d, logits, p, i, 2e-3f);
          double n2 = central(rep, d, logits, p, i, 1e-3f);
          if (Math.abs(n1 - n2) > 1e-3 + 0.02 * Math.abs(n2)) {
            kinks++;
            continue;
          }
          double ana = g[i];
          assertThat(Math.abs(n2 - ana))
              .as("case %s tensor %s[%d]: numeric %g analytic %g (seed %d)", c.getKey(), p.name, i, n2, ana, seed)
              .isLessThanOrEqualTo(5e-4 + 0.01 * Math.max(Math.abs(n2), Math.abs(ana)));
          checked++;
        }
      }
      assertThat(kinks).as("%s: coordinates skipped at ReLU kinks", c.getKey()).isLessThanOrEqualTo(checked / 20);
      assertThat(checked).as(c.getKey()).isGreaterThan(50);
    }
  }

  private static double central(Replica rep, Data d, float[] logits, ParamStore.Param p, int i, float eps) {
    float old = p.w[i];
    p.w[i] = old + eps;
    double lp = loss(rep, d, logits);
    p.w[i] = old - eps;
    double lm = loss(rep, d, logits);
    p.w[i] = old;
    return (lp - lm) / (2 * eps);
  }

  @Test
  void shouldComputeTheSameLogitsAsTheCoreReferenceScorer() {
    for (Map.Entry<String, ModelSpec> c : Specs.all().entrySet()) {
      ModelSpec spec = c.getValue();
      CtrModel m = model(spec, 5);
      Replica rep = new Replica(new ParamStore(m), N, MatMuls.java());
      Data d = data(spec, 5);
      float[] logits = new float[N];
      rep.forward(d.idx, d.val, 0, N, logits);
      int nf = spec.fieldCount();
      FeatureVector v = spec.newFeatureVector();
      for (int e = 0; e < N; e++) {
        for (int f = 0; f < nf; f++) {
          v.set(f, d.idx[e * nf + f], d.val[e * nf + f]);
        }
        float ref = m.referenceScorer().scoreLogit(v, v);
        assertThat(logits[e]).as("%s example %d", c.getKey(), e).isCloseTo(ref, within(1e-4f + 1e-4f * Math.abs(ref)));
      }
    }
  }
}
