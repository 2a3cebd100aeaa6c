package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScorerValidationTest {
  private final CtrModel model = CtrModel.random(TestSpecs.small().build(), 5);

  private List<Scorer> scorers() {
    return List.of(model.scorer(), model.referenceScorer());
  }

  @Test
  void shouldRejectRowsOutsideTheTable() {
    for (Scorer s : scorers()) {
      FeatureVector ctx = model.encoder().newFeatureVector();
      FeatureVector cand = model.encoder().newFeatureVector();
      cand.set(2, 16, 1f);
      assertThatThrownBy(() -> s.scoreLogit(ctx, cand))
          .isInstanceOf(CtrModelException.class)
          .hasMessage("row of field ad must be in [0, 16), found 16");
      ctx.set(0, -1, 1f);
      assertThatThrownBy(() -> s.score(ctx, cand)).hasMessage("row of field site must be in [0, 7), found -1");
    }
  }

  @Test
  void shouldRejectNonFiniteScaledValues() {
    for (Scorer s : scorers()) {
      FeatureVector v = model.encoder().newFeatureVector();
      v.set(3, 0, Float.NaN);
      assertThatThrownBy(() -> s.scoreLogit(v, v)).hasMessage("value of SCALED field bid must be finite, found NaN");
    }
  }

  @Test
  void shouldRejectBadBatchArguments() {
    FeatureVector ctx = model.encoder().newFeatureVector();
    FeatureVector[] cands = {model.encoder().newFeatureVector(), null};
    for (Scorer s : scorers()) {
      assertThatThrownBy(() -> s.scoreBatch(ctx, cands, 3, new float[3]))
          .hasMessage("batch size must be in [0, 2] (candidates length), found 3");
      assertThatThrownBy(() -> s.scoreBatch(ctx, cands, 1, new float[0]))
          .hasMessage("out must hold the batch size 1, found length 0");
      assertThatThrownBy(() -> s.scoreBatch(ctx, cands, 2, new float[2]))
          .hasMessage("candidate feature vector must not be null");
      assertThatThrownBy(() -> s.scoreLogit(ctx, new FeatureVector(2)))
          .hasMessage("candidate feature vector must have 4 fields for model small, found 2");
      float[] out = {42f};
      s.scoreBatch(ctx, cands, 0, out);
      assertThat(out[0]).as("n = 0 writes nothing").isEqualTo(42f);
    }
  }

  @Test
  void shouldScoreBatchLikeSingleCalls() {
    FeatureVector ctx = model.encoder().newFeatureVector();
    model.encoder().encodeField(0, "site:1", ctx);
    FeatureVector[] cands = new FeatureVector[5];
    for (int i = 0; i < cands.length; i++) {
      cands[i] = model.encoder().newFeatureVector();
      model.encoder().encodeField(2, "ad" + i, cands[i]);
      model.encoder().encodeField(3, i * 0.5, cands[i]);
    }
    float[] out = new float[5];
    model.scorer().scoreBatch(ctx, cands, 5, out);
    for (int i = 0; i < 5; i++) {
      assertThat(out[i]).isEqualTo(model.referenceScorer().score(ctx, cands[i]));
    }
  }
}
