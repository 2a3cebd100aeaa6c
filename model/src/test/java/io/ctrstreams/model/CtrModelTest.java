package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.format.ModelFile;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CtrModelTest {
  private final ModelSpec spec = TestSpecs.small()
      .lowRank(new LowRankConfig(2, true, new int[] {0, 3}, null, false, null)).build();

  @Test
  void shouldRoundTripThroughModelFileWithIdenticalScores() {
    CtrModel m = CtrModel.random(spec, 11);
    ModelFile file = m.toFile();
    assertThat(file.stringTables()).containsKey("vocab/site");
    CtrModel back = CtrModel.fromFile(file);
    assertThat(back.spec()).isEqualTo(spec);
    assertThat(back.metadata()).isEqualTo(m.metadata());
    FeatureVector ctx = m.encoder().encode(Map.of("site", "site:1", "age", 7), m.encoder().newFeatureVector());
    FeatureVector cand = m.encoder().encode(Map.of("ad", "a", "bid", 0.3), m.encoder().newFeatureVector());
    assertThat(back.scorer().scoreLogit(ctx, cand)).isEqualTo(m.scorer().scoreLogit(ctx, cand));
  }

  @Test
  void shouldScoreIdenticallyAfterCtrmBytesRoundTrip() {
    for (Architecture arch : Architecture.values()) {
      ModelSpec s = TestSpecs.small().architecture(arch)
          .fields(TestSpecs.small().build().fields().stream().map(f -> f.withEmbeddingDim(4)).toList())
          .crossLayers(arch == Architecture.DCNV2 ? 2 : 0)
          .lowRank(new LowRankConfig(2, false, new int[] {3, 0}, arch == Architecture.DCNV2 ? new int[] {2, 0} : null,
              true, null))
          .build();
      CtrModel m = CtrModel.random(s, 5).withVersion(9);
      CtrModel back = CtrModel.fromFile(io.ctrstreams.model.format.CtrmFormat.read(
          io.ctrstreams.model.format.CtrmFormat.toBytes(m.toFile())));
      assertThat(back.version()).isEqualTo(9);
      FeatureVector ctx = m.encoder().encode(Map.of("site", "site:2", "age", 30), m.encoder().newFeatureVector());
      FeatureVector cand = m.encoder().encode(Map.of("ad", "z", "bid", 1.5), m.encoder().newFeatureVector());
      assertThat(back.scorer().scoreLogit(ctx, cand)).as(arch.name()).isEqualTo(m.scorer().scoreLogit(ctx, cand));
    }
  }

  @Test
  void shouldBeDeterministicPerSeed() {
    assertThat(CtrModel.random(spec, 3).tensor("mlp/1/u").data())
        .containsExactly(CtrModel.random(spec, 3).tensor("mlp/1/u").data());
    assertThat(CtrModel.random(spec, 3).tensor("mlp/1/u").data())
        .isNotEqualTo(CtrModel.random(spec, 4).tensor("mlp/1/u").data());
  }

  @Test
  void shouldNameTensorsByTheDocumentedScheme() {
    CtrModel m = CtrModel.random(spec, 1);
    assertThat(m.tensorMap().keySet()).containsExactly(
        "emb/site/table", "emb/age/table", "emb/ad/table", "emb/bid",
        "mlp/0/w", "mlp/0/b", "mlp/1/v", "mlp/1/c", "mlp/1/u", "mlp/1/d", "out/w", "out/b");
    assertThat(m.tensor("mlp/0/w").shape()).containsExactly(8, 2 + 2 + 2 + 2);
    assertThat(m.tensor("emb/bid").shape()).containsExactly(1, 2);
  }

  @Test
  void shouldAccountParametersFlopsAndMemory() {
    CtrModel m = CtrModel.random(spec, 1);
    long params = 0;
    for (Tensor t : m.tensors()) {
      params += t.size();
    }
    assertThat(m.parameterCount()).isEqualTo(params);
    // mlp0 8x8, mlp1 3*(8+6), out 6, SCALED field x*v 2
    assertThat(m.flopsPerCandidate()).isEqualTo(64 + 42 + 6 + 2);
    assertThat(m.ramBytesUsed()).isGreaterThan(4 * params);
  }

  @Test
  void shouldShareWeightsAcrossVersions() {
    CtrModel m = CtrModel.random(spec, 1);
    CtrModel v5 = m.withVersion(5);
    assertThat(v5.version()).isEqualTo(5);
    assertThat(m.version()).isZero();
    assertThat(v5.tensor("out/w")).isSameAs(m.tensor("out/w"));
    assertThat(v5.scorer().model()).isSameAs(v5);
    assertThatThrownBy(() -> m.withVersion(-1)).hasMessage("model version of small must be >= 0, found -1");
  }

  @Test
  void shouldRejectMissingWrongShapedAndExtraTensors() {
    CtrModel m = CtrModel.random(spec, 1);
    Map<String, Tensor> t = new LinkedHashMap<>(m.tensorMap());
    t.remove("mlp/1/c");
    assertThatThrownBy(() -> CtrModel.create(spec, "x", 1, t, m.vocabularies(), null))
        .isInstanceOf(CtrModelException.class)
        .hasMessage("model small is missing tensor mlp/1/c of shape [3]");
    t.put("mlp/1/c", Tensor.zeros("mlp/1/c", 3));
    t.put("mlp/1/u", Tensor.zeros("mlp/1/u", 6, 2));
    assertThatThrownBy(() -> CtrModel.create(spec, "x", 1, t, m.vocabularies(), null))
        .hasMessage("tensor mlp/1/u must have shape [6, 3], found [6, 2]");
    t.put("mlp/1/u", m.tensor("mlp/1/u"));
    t.put("mlp/9/w", Tensor.zeros("mlp/9/w", 1, 1));
    assertThatThrownBy(() -> CtrModel.create(spec, "x", 1, t, m.vocabularies(), null))
        .hasMessage("model small has unexpected tensor mlp/9/w (not part of its spec)");
    t.remove("mlp/9/w");
    assertThatThrownBy(() -> CtrModel.create(spec, "x", 1, t, Map.of("site", List.of("a")), null))
        .hasMessage("vocabulary of field site must have 3 values, found 1");
    assertThatThrownBy(() -> CtrModel.create(spec, "", 1, t, m.vocabularies(), null))
        .hasMessage("model name must be non-empty, found \"\"");
    assertThatThrownBy(() -> m.tensor("nope")).hasMessage("model small has no tensor nope");
  }
}
