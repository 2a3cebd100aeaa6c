package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.FieldSpec.Role;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelSpecTest {

  @Test
  void shouldRoundTripThroughJson() {
    ModelSpec spec = TestSpecs.small()
        .lowRank(new LowRankConfig(2, true, new int[] {4, 0}, null, true, Map.of("ad", 3)))
        .build();
    ModelSpec back = ModelSpec.fromJson(spec.toJson());
    assertThat(back).isEqualTo(spec);
    assertThat(back.toJson()).isEqualTo(spec.toJson());
    assertThat(back.embeddingRank(back.fieldOrdinal("ad"))).isEqualTo(3);
    assertThat(back.embeddingRank(back.fieldOrdinal("bid"))).as("SCALED stays dense").isZero();
  }

  @Test
  void shouldRoundTripDcnSpecWithoutLowRank() {
    ModelSpec spec = TestSpecs.small().architecture(Architecture.DCNV2).crossLayers(2)
        .crossStructure(CrossStructure.PARALLEL).build();
    assertThat(ModelSpec.fromJson(spec.toJson())).isEqualTo(spec);
    assertThat(spec.toJson()).doesNotContain("lowRank");
  }

  @Test
  void shouldComputeLayoutWidths() {
    ModelSpec spec = TestSpecs.small().lowRank(LowRankConfig.of(2, true)).build();
    assertThat(spec.embeddingWidth()).isEqualTo(4 + 3 + 5 + 2);
    assertThat(spec.firstLayerInputWidth()).as("folded: k for lookup fields, d for SCALED").isEqualTo(2 + 2 + 2 + 2);
    assertThat(spec.outputInputWidth()).isEqualTo(6);
    assertThat(spec.fieldsWithRole(Role.CANDIDATE)).containsExactly(2, 3);
  }

  @Test
  void shouldRejectZeroEmbeddingDimNamingTheField() {
    assertThatThrownBy(() -> FieldSpec.categorical("C7", Role.CANDIDATE, 0, 10, 0))
        .isInstanceOf(CtrModelException.class)
        .hasMessage("embedding dim for field C7 must be >= 1, found 0");
  }

  @Test
  void shouldRejectZeroEmbeddingDimFromJson() {
    String json = TestSpecs.small().build().toJson().replace("\"embeddingDim\":5", "\"embeddingDim\":0");
    assertThatThrownBy(() -> ModelSpec.fromJson(json))
        .isInstanceOf(CtrModelException.class)
        .hasMessage("embedding dim for field ad must be >= 1, found 0");
  }

  @Test
  void shouldRejectFoldingOutsideDnn() {
    assertThatThrownBy(() -> TestSpecs.small().architecture(Architecture.DCNV2).crossLayers(1)
        .lowRank(LowRankConfig.of(2, true)).build())
        .isInstanceOf(CtrModelException.class)
        .hasMessageContaining("foldEmbeddings is only legal for DNN")
        .hasMessageContaining("DCNV2");
  }

  @Test
  void shouldRejectWrongRankCounts() {
    assertThatThrownBy(() -> TestSpecs.small().lowRank(LowRankConfig.of(0, false, 3)).build())
        .hasMessageContaining("mlpRanks must have one entry per mlp layer (2), found 1");
    assertThatThrownBy(() -> TestSpecs.small().lowRank(LowRankConfig.of(0, false, 9, 0)).build())
        .hasMessageContaining("rank of mlp layer 0 (14 -> 8) must be <= 8, found 9");
    assertThatThrownBy(() -> TestSpecs.small().lowRank(LowRankConfig.of(4, false)).build())
        .hasMessage("embedding rank for field age must be <= its embedding dim 3, found 4");
    assertThatThrownBy(() -> TestSpecs.small().lowRank(LowRankConfig.of(-1, false)).build())
        .hasMessage("embedding rank must be >= 0 (0 = dense), found -1");
    assertThatThrownBy(() -> TestSpecs.small().architecture(Architecture.DCNV2).crossLayers(2)
        .lowRank(new LowRankConfig(0, false, null, new int[] {1}, false, null)).build())
        .hasMessageContaining("crossRanks must have one entry per cross layer (2), found 1");
  }

  @Test
  void shouldRejectBadFieldsAndStructure() {
    assertThatThrownBy(() -> TestSpecs.small().field(FieldSpec.scaled("ad", Role.CONTEXT, 1)).build())
        .hasMessage("duplicate field name ad in model small");
    assertThatThrownBy(() -> TestSpecs.small().crossLayers(1).build())
        .hasMessage("cross layers are only legal for DCNV2, found 1 for DNN");
    assertThatThrownBy(() -> TestSpecs.small().mlp(8, 0).build())
        .hasMessage("size of mlp layer 1 must be >= 1, found 0");
    assertThatThrownBy(() -> TestSpecs.small().architecture(Architecture.DEEPFM).build())
        .hasMessageContaining("DEEPFM needs one embedding dim for all fields");
    assertThatThrownBy(() -> FieldSpec.categorical("x", Role.CONTEXT, 5, 0, 2))
        .hasMessage("oov buckets for field x must be >= 1, found 0");
    assertThatThrownBy(() -> FieldSpec.categorical("a/b", Role.CONTEXT, 5, 1, 2))
        .hasMessage("field name must not contain '/', found a/b");
    assertThatThrownBy(() -> FieldSpec.logBucket("I1", Role.CONTEXT, 0, 2))
        .hasMessage("bucket count (vocabularySize) for LOG_BUCKET field I1 must be >= 1, found 0");
    assertThatThrownBy(() -> TestSpecs.small().lowRank(new LowRankConfig(0, false, null, null, false,
        Map.of("nope", 1))).build())
        .hasMessage("embedding rank override names unknown field nope");
    assertThatThrownBy(() -> TestSpecs.small().lowRank(new LowRankConfig(0, false, null, null, false,
        Map.of("bid", 1))).build())
        .hasMessageContaining("SCALED field bid is a single vector and cannot be low-rank");
  }

  @Test
  void shouldRejectMalformedJson() {
    assertThatThrownBy(() -> ModelSpec.fromJson("{\"name\":\"x\",\"architecture\":\"RNN\"}"))
        .isInstanceOf(CtrModelException.class)
        .hasMessageContaining("RNN");
    assertThatThrownBy(() -> ModelSpec.fromJson(
        TestSpecs.small().build().toJson().replace("\"mlp\"", "\"bogus\":1,\"mlp\"")))
        .isInstanceOf(CtrModelException.class)
        .hasMessageContaining("bogus");
    assertThatThrownBy(() -> ModelSpec.fromJson("{\"name\":\"x\",\"architecture\":\"DNN\",\"fields\":[]}"))
        .hasMessage("model x must have at least one field, found none");
  }

  @Test
  void shouldWriteTheCurrentSpecVersionFirst() {
    assertThat(TestSpecs.small().build().toJson()).startsWith("{\"specVersion\":1,\"name\":\"small\",");
  }

  @Test
  void shouldReadJsonWithoutVersionAsVersion1() {
    // specs written before the version field existed (models in compacted topics) keep loading
    ModelSpec spec = TestSpecs.small().build();
    String legacy = spec.toJson().replace("\"specVersion\":1,", "");
    assertThat(legacy).doesNotContain("specVersion");
    assertThat(ModelSpec.fromJson(legacy)).isEqualTo(spec);
    assertThat(ModelSpec.fromJson(legacy).toJson()).isEqualTo(spec.toJson());
  }

  @Test
  void shouldRejectANewerSpecVersionWithATypedError() {
    String newer = TestSpecs.small().build().toJson().replace("\"specVersion\":1", "\"specVersion\":2");
    assertThatThrownBy(() -> ModelSpec.fromJson(newer))
        .isInstanceOfSatisfying(UnsupportedSpecVersionException.class, e -> {
          assertThat(e.foundVersion()).isEqualTo(2);
          assertThat(e.maxSupported()).isEqualTo(ModelSpec.CURRENT_VERSION);
        })
        .hasMessage("unsupported model spec version 2 (too new), this reader supports spec versions 1 to 1");
  }

  @Test
  void shouldRejectAVersionThatNeverExisted() {
    String json = TestSpecs.small().build().toJson();
    assertThatThrownBy(() -> ModelSpec.fromJson(json.replace("\"specVersion\":1", "\"specVersion\":0")))
        .isInstanceOf(UnsupportedSpecVersionException.class)
        .hasMessage("unsupported model spec version 0, this reader supports spec versions 1 to 1");
    assertThatThrownBy(() -> ModelSpec.fromJson(json.replace("\"specVersion\":1", "\"specVersion\":\"1\"")))
        .isInstanceOf(CtrModelException.class)
        .hasMessage("model spec specVersion must be an integer, found \"1\"");
    assertThatThrownBy(() -> ModelSpec.fromJson("[1]"))
        .isInstanceOf(CtrModelException.class)
        .hasMessage("model spec JSON must be an object, found ARRAY");
  }
}
