package io.ctrstreams.model;

import io.ctrstreams.model.FieldSpec.Role;

/** Small specs shared by the model-core tests. */
final class TestSpecs {
  private TestSpecs() {}

  /** A small DNN: 2 context + 2 candidate fields, one with a vocabulary. */
  static ModelSpec.Builder small() {
    return ModelSpec.builder()
        .name("small")
        .architecture(Architecture.DNN)
        .field(FieldSpec.categorical("site", Role.CONTEXT, 3, 4, 4))
        .field(FieldSpec.logBucket("age", Role.CONTEXT, 20, 3))
        .field(FieldSpec.categorical("ad", Role.CANDIDATE, 0, 16, 5))
        .field(FieldSpec.scaled("bid", Role.CANDIDATE, 2))
        .mlp(8, 6);
  }
}
