package io.ctrstreams.trainer.online;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.trainer.data.RawField;
import io.ctrstreams.trainer.data.RawSchema;
import java.util.Locale;

/**
 * The model shape the continuous trainer trains: every categorical field hashed into a fixed
 * number of rows (a stream has no vocabulary pass, and a fixed shape keeps every snapshot
 * compatible with the previous one), numeric fields as log buckets.
 */
public final class OnlineModels {
  /** Log buckets of numeric fields: floor(ln(x)^2) stays below 64 for x < e^8 ~ 2981, larger values clip. */
  public static final int NUMERIC_BUCKETS = 64;

  private OnlineModels() {}

  /** The spec for {@code schema} under {@code config}'s model settings. */
  public static ModelSpec spec(RawSchema schema, OnlineTrainerConfig config) {
    return spec(schema, config.modelName(), Architecture.valueOf(config.architecture().toUpperCase(Locale.ROOT)),
        config.embeddingDim(), config.hashBuckets(), config.mlp());
  }

  /** The spec for {@code schema} with explicit settings. */
  public static ModelSpec spec(RawSchema schema, String name, Architecture arch, int embeddingDim, int hashBuckets,
      int[] mlp) {
    ModelSpec.Builder b = ModelSpec.builder().name(name).architecture(arch).mlp(mlp);
    for (RawField f : schema.fields()) {
      FieldSpec.Role role = f.context() ? FieldSpec.Role.CONTEXT : FieldSpec.Role.CANDIDATE;
      b.field(f.numeric()
          ? FieldSpec.logBucket(f.name(), role, NUMERIC_BUCKETS, embeddingDim)
          : FieldSpec.categorical(f.name(), role, 0, hashBuckets, embeddingDim));
    }
    if (arch == Architecture.DCNV2) {
      b.crossLayers(2);
    }
    return b.build();
  }
}
