package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LayersTest {
  private final Random rnd = new Random(2024);

  private Tensor rand(String name, int... shape) {
    Tensor t = Tensor.zeros(name, shape);
    for (int i = 0; i < t.size(); i++) {
      t.data()[i] = (float) rnd.nextGaussian();
    }
    return t;
  }

  @Test
  void lowRankLinearShouldEqualDenseLayerOfTheProduct() {
    int in = 7;
    int k = 3;
    int out = 5;
    Tensor v = rand("v", k, in);
    Tensor c = rand("c", k);
    Tensor u = rand("u", out, k);
    Tensor d = rand("d", out);
    float[] w = new float[out * in];
    float[] b = new float[out];
    for (int o = 0; o < out; o++) {
      b[o] = d.data()[o];
      for (int r = 0; r < k; r++) {
        b[o] += u.data()[o * k + r] * c.data()[r];
        for (int i = 0; i < in; i++) {
          w[o * in + i] += u.data()[o * k + r] * v.data()[r * in + i];
        }
      }
    }
    LowRankLinear lr = new LowRankLinear(v, c, u, d, false);
    Linear dense = new Linear(new Tensor("w", new int[] {out, in}, w), new Tensor("b", new int[] {out}, b));
    float[] x = rand("x", in + 2).data();
    float[] y1 = new float[out + 1];
    float[] y2 = new float[out + 1];
    lr.forward(x, 2, y1, 1, new float[lr.scratchSize()]);
    dense.forward(x, 2, y2, 1, new float[0]);
    for (int o = 1; o <= out; o++) {
      assertThat(y1[o]).isCloseTo(y2[o], within(1e-4f));
    }
    assertThat(lr.multiplyAdds()).isEqualTo(3L * (7 + 5));
    assertThat(lr.parameterCount()).isEqualTo(3L * 7 + 3 + 5L * 3 + 5);
  }

  @Test
  void crossLayerShouldComputeX0TimesMapPlusXlInPlace() {
    int dim = 4;
    Linear map = new Linear(rand("w", dim, dim), rand("b", dim));
    CrossLayer cross = new CrossLayer(map);
    float[] x0 = rand("x0", dim).data();
    float[] xl = rand("xl", dim).data();
    float[] t = new float[dim];
    map.forward(xl, 0, t, 0, null);
    float[] expected = new float[dim];
    for (int i = 0; i < dim; i++) {
      expected[i] = x0[i] * t[i] + xl[i];
    }
    cross.forward(x0, 0, xl, 0, xl, 0, new float[cross.scratchSize()]);
    assertThat(xl).containsExactly(expected, within(1e-6f));
    assertThatThrownBy(() -> new CrossLayer(new Linear(rand("w", 3, 4), rand("b", 3))))
        .hasMessage("cross layer map must be square, found 4 -> 3");
  }

  @Test
  void foldedEmbeddingsShouldScoreLikeUnfoldedOnes() {
    // W1' = W1 blockdiag(P_f^T), b1' = b1 + W1 concat(mu_f) (KDD 2024 low-rank paper, embedding folding)
    ModelSpec unfoldedSpec = TestSpecs.small().lowRank(LowRankConfig.of(2, false)).build();
    ModelSpec foldedSpec = TestSpecs.small().lowRank(LowRankConfig.of(2, true)).build();
    CtrModel unfolded = CtrModel.random(unfoldedSpec, 9);
    Map<String, Tensor> t = new LinkedHashMap<>();
    for (Tensor x : unfolded.tensors()) {
      if (!x.name().endsWith("/proj") && !x.name().endsWith("/bias") && !x.name().startsWith("mlp/0/")) {
        t.put(x.name(), x);
      }
    }
    float[] w1 = unfolded.tensor("mlp/0/w").data();
    int hidden = unfoldedSpec.mlpSize(0);
    int inOld = unfoldedSpec.firstLayerInputWidth();
    int inNew = foldedSpec.firstLayerInputWidth();
    float[] w1f = new float[hidden * inNew];
    float[] b1f = unfolded.tensor("mlp/0/b").data().clone();
    int oldOff = 0;
    int newOff = 0;
    for (int f = 0; f < unfoldedSpec.fieldCount(); f++) {
      FieldSpec fs = unfoldedSpec.field(f);
      int d = fs.embeddingDim();
      int k = unfoldedSpec.embeddingRank(f);
      for (int h = 0; h < hidden; h++) {
        if (k == 0) {
          for (int j = 0; j < d; j++) {
            w1f[h * inNew + newOff + j] = w1[h * inOld + oldOff + j];
          }
          continue;
        }
        float[] p = unfolded.tensor("emb/" + fs.name() + "/proj").data();
        float[] mu = unfolded.tensor("emb/" + fs.name() + "/bias").data();
        for (int j = 0; j < d; j++) {
          float wj = w1[h * inOld + oldOff + j];
          b1f[h] += wj * mu[j];
          for (int r = 0; r < k; r++) {
            w1f[h * inNew + newOff + r] += wj * p[r * d + j];
          }
        }
      }
      oldOff += d;
      newOff += k == 0 ? d : k;
    }
    t.put("mlp/0/w", new Tensor("mlp/0/w", new int[] {hidden, inNew}, w1f));
    t.put("mlp/0/b", new Tensor("mlp/0/b", new int[] {hidden}, b1f));
    CtrModel folded = CtrModel.create(foldedSpec, "folded", 1, t, unfolded.vocabularies(), null);
    FeatureVector ctx = ScorerAgreementProperties.randomVector(foldedSpec, rnd);
    for (int i = 0; i < 10; i++) {
      FeatureVector cand = ScorerAgreementProperties.randomVector(foldedSpec, rnd);
      float expected = unfolded.referenceScorer().scoreLogit(ctx, cand);
      assertThat(folded.referenceScorer().scoreLogit(ctx, cand)).isCloseTo(expected, within(1e-5f));
      assertThat(folded.scorer().scoreLogit(ctx, cand)).isCloseTo(expected, within(1e-5f));
    }
    assertThat(folded.flopsPerCandidate()).isLessThan(unfolded.flopsPerCandidate());
  }

  @Test
  void embeddingsShouldLookUpRows() {
    Tensor table = rand("emb/x", 3, 2);
    Embedding e = new Embedding(table);
    float[] out = new float[3];
    e.lookup(2, 0.5f, out, 1);
    assertThat(out[1]).isEqualTo(0.5f * table.data()[4]);
    assertThat(out[2]).isEqualTo(0.5f * table.data()[5]);
    LowRankEmbedding lr = new LowRankEmbedding(rand("t", 3, 1), rand("p", 1, 2), rand("mu", 2));
    lr.lookup(1, out, 0);
    assertThat(out[1]).isCloseTo(lr.table().data()[1] * lr.projection().data()[1] + lr.bias().data()[1],
        within(1e-6f));
    LowRankEmbedding foldedOnly = new LowRankEmbedding(rand("t", 3, 1), 2);
    assertThatThrownBy(() -> foldedOnly.lookup(0, out, 0))
        .hasMessage("folded low-rank embedding t has no projection");
  }

  @Test
  void shouldRejectShortBuffersAndBadRows() {
    Linear l = new Linear(rand("mlp/0/w", 3, 4), rand("mlp/0/b", 3));
    assertThatThrownBy(() -> l.forward(new float[4], 1, new float[3], 0, null))
        .isInstanceOf(CtrModelException.class)
        .hasMessage("mlp/0/w: input needs 4 floats at offset 1, found buffer length 4");
    assertThatThrownBy(() -> l.forward(new float[4], 0, new float[2], 0, null))
        .hasMessage("mlp/0/w: output needs 3 floats at offset 0, found buffer length 2");
    LowRankLinear lr = new LowRankLinear(rand("v", 2, 4), rand("c", 2), rand("u", 3, 2), rand("d", 3), true);
    assertThatThrownBy(() -> lr.forward(new float[4], 0, new float[3], 0, new float[1]))
        .hasMessage("v: scratch needs 2 floats at offset 0, found buffer length 1");
    Embedding e = new Embedding(rand("emb/C1", 5, 2));
    assertThatThrownBy(() -> e.lookup(5, 1f, new float[2], 0))
        .hasMessage("row of emb/C1 must be in [0, 5), found 5");
  }
}
