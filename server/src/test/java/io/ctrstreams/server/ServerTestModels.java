package io.ctrstreams.server;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.FieldSpec.Role;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.schemas.ModelManifest;
import io.ctrstreams.serving.ModelRecords;
import io.ctrstreams.serving.ModelRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Small real models for server tests, and the reference scores of {@link CtrModel#scorer()}. */
final class ServerTestModels {
  private ServerTestModels() {}

  /** A small DNN: context fields user (categorical), hour (numeric); candidate fields ad, bid. */
  static ModelSpec spec(String name) {
    return ModelSpec.builder()
        .name(name)
        .architecture(Architecture.DNN)
        .field(FieldSpec.categorical("user", Role.CONTEXT, 0, 32, 4))
        .field(FieldSpec.logBucket("hour", Role.CONTEXT, 24, 3))
        .field(FieldSpec.categorical("ad", Role.CANDIDATE, 0, 64, 4))
        .field(FieldSpec.scaled("bid", Role.CANDIDATE, 2))
        .mlp(8, 4)
        .build();
  }

  /** Random weights (seeded) as {@code name} version {@code version}. */
  static CtrModel model(String name, long version, long seed) {
    return CtrModel.random(spec(name), seed).withVersion(version);
  }

  static byte[] ctrm(CtrModel m) {
    return CtrmFormat.toBytes(m.toFile());
  }

  /** Serves {@code m} as {@code version} in {@code registry}; fails unless it swapped. */
  static void offer(ModelRegistry registry, CtrModel m, long version) {
    byte[] bytes = ctrm(m);
    ModelManifest manifest = ModelManifest.newBuilder()
        .setModel(registry.name()).setVersion(version).setChunkCount(1).setTotalBytes(bytes.length)
        .setSha256(ModelRecords.sha256Hex(bytes)).setCreatedAtEpochMs(System.currentTimeMillis())
        .setMetadata(new HashMap<>())
        .build();
    ModelRegistry.Outcome o = registry.offer(manifest, bytes);
    if (o != ModelRegistry.Outcome.SWAPPED) {
      throw new AssertionError("v" + version + " of " + registry.name() + " not served: " + o);
    }
  }

  /** The pCTRs {@code m.scorer()} gives for a context and candidates' raw features. */
  static float[] reference(CtrModel m, Map<String, ?> context, List<Map<String, ?>> candidates) {
    FeatureVector ctx = m.encoder().newFeatureVector();
    m.encoder().encodeTyped(context, Role.CONTEXT, ctx);
    FeatureVector[] cs = new FeatureVector[candidates.size()];
    for (int i = 0; i < cs.length; i++) {
      cs[i] = m.encoder().newFeatureVector();
      m.encoder().encodeTyped(candidates.get(i), Role.CANDIDATE, cs[i]);
    }
    float[] out = new float[cs.length];
    m.scorer().scoreBatch(ctx, cs, cs.length, out);
    return out;
  }
}
