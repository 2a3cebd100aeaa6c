package io.ctrstreams.serving;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.FieldSpec.Role;
import io.ctrstreams.model.ModelSpec;
import org.junit.jupiter.api.Test;

class InputSchemaTest {

  @Test
  void shouldRoundTripThroughTheManifestJsonIncludingOddFieldNames() {
    ModelSpec spec = ModelSpec.builder().name("x").architecture(Architecture.DNN)
        .field(FieldSpec.categorical("a,b:\"c\"", Role.CONTEXT, 3, 4, 4))
        .field(FieldSpec.logBucket("age", Role.CANDIDATE, 20, 3))
        .mlp(4).build();
    InputSchema s = InputSchema.of(spec);
    assertThat(s.fields()).extracting(InputSchema.Field::toString)
        .containsExactly("a,b:\"c\" (CONTEXT/CATEGORICAL)", "age (CANDIDATE/NUMERIC/LOG_BUCKET)");
    assertThat(InputSchema.parse(s.toJson())).contains(s);
  }

  @Test
  void networksAndSizesShouldNotMatterButFieldsShould() {
    InputSchema a = InputSchema.of(TestModels.spec(8, 6));
    assertThat(a.difference(InputSchema.of(TestModels.spec(64)))).isEmpty();
    assertThat(a.difference(InputSchema.of(TestModels.incompatibleSpec())))
        .contains("input field 2 is ad in the served model, creative in the new one");
    ModelSpec roleChanged = ModelSpec.builder().name("x").architecture(Architecture.DNN)
        .field(FieldSpec.categorical("site", Role.CONTEXT, 3, 4, 4))
        .field(FieldSpec.scaled("age", Role.CONTEXT, 3))
        .field(FieldSpec.categorical("ad", Role.CANDIDATE, 0, 16, 5))
        .field(FieldSpec.scaled("bid", Role.CANDIDATE, 2))
        .mlp(4).build();
    assertThat(a.difference(InputSchema.of(roleChanged)))
        .contains("input field age (CONTEXT/NUMERIC/LOG_BUCKET) in the served model is age (CONTEXT/NUMERIC/SCALED)"
            + " in the new one");
  }

  @Test
  void garbageShouldParseAsNoSchema() {
    assertThat(InputSchema.parse(null)).isEmpty();
    assertThat(InputSchema.parse("")).isEmpty();
    assertThat(InputSchema.parse("{\"a\":1}")).isEmpty();
    assertThat(InputSchema.parse("[null]")).isEmpty();
    assertThat(InputSchema.parse("[{\"name\":\"a\"}]")).isEmpty();
  }
}
