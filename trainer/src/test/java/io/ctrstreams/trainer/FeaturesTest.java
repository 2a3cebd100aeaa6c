package io.ctrstreams.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.trainer.data.RawField;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RawSchema;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeaturesTest {
  private static final RawSchema SCHEMA = new RawSchema(List.of(
      new RawField("n", true, true), new RawField("c", false, false)));

  @Test
  void shouldMapVocabularyValuesToTheirIdsAndUnseenValuesToOov() {
    Map<String, List<String>> vocab = Map.of("c", List.of("a", "b"));
    List<FieldSpec> fields = Features.fieldSpecs(SCHEMA, vocab, 0, 1, 4);
    assertThat(fields.get(0).transform()).isEqualTo(FieldSpec.Transform.LOG_BUCKET);
    assertThat(fields.get(1).rows()).isEqualTo(3);
    assertThat(fields.get(1).role()).isEqualTo(FieldSpec.Role.CANDIDATE);
    ModelSpec spec = ModelSpec.builder().name("f").architecture(Architecture.DNN).fields(fields).mlp(2).build();
    FeatureEncoder enc = new FeatureEncoder(spec, vocab);
    FeatureVector v = spec.newFeatureVector();
    RawRecord r = SCHEMA.newRecord();
    r.number[0] = 100;
    r.category[1] = "b";
    Features.encode(enc, r, v);
    // ln(100)^2 = 21.2 -> bucket 21, as FuxiCTR's Criteo preprocessing.
    assertThat(v.index()).containsExactly(21, 1);
    r.number[0] = Double.NaN;
    r.category[1] = "never-seen";
    Features.encode(enc, r, v);
    assertThat(v.index()).containsExactly(0, 2);
  }

  @Test
  void shouldHashCategoriesInHashingMode() {
    List<FieldSpec> fields = Features.fieldSpecs(SCHEMA, null, 64, 1, 4);
    assertThat(fields.get(1).vocabularySize()).isZero();
    assertThat(fields.get(1).rows()).isEqualTo(64);
  }

  @Test
  void shouldLearnAPlantedRuleWithTheLogisticRegressionBaseline() {
    HashedLogisticRegression lr = new HashedLogisticRegression(1 << 10, 0.1, 0);
    RawRecord r = SCHEMA.newRecord();
    java.util.Random rnd = new java.util.Random(3);
    for (int i = 0; i < 4000; i++) {
      boolean click = rnd.nextBoolean();
      r.category[1] = click ? "good" : "bad";
      r.number[0] = rnd.nextInt(50);
      r.label = click ? 1f : 0f;
      lr.update(r);
    }
    r.category[1] = "good";
    double good = lr.predict(r);
    r.category[1] = "bad";
    assertThat(good).isGreaterThan(0.9);
    assertThat(lr.predict(r)).isLessThan(0.1);
    assertThatThrownBy(() -> new HashedLogisticRegression(1000, 0.1, 0)).hasMessageContaining("found 1000");
  }
}
