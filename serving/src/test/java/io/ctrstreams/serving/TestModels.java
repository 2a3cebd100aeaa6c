package io.ctrstreams.serving;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.FieldSpec.Role;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.schemas.ModelManifest;
import java.util.Map;

/** Small real models for registry tests. */
final class TestModels {
  private TestModels() {}

  /** A small DNN: 2 context + 2 candidate fields; {@code mlp} varies the network, not the inputs. */
  static ModelSpec spec(int... mlp) {
    return ModelSpec.builder()
        .name("serving-test")
        .architecture(Architecture.DNN)
        .field(FieldSpec.categorical("site", Role.CONTEXT, 3, 4, 4))
        .field(FieldSpec.logBucket("age", Role.CONTEXT, 20, 3))
        .field(FieldSpec.categorical("ad", Role.CANDIDATE, 0, 16, 5))
        .field(FieldSpec.scaled("bid", Role.CANDIDATE, 2))
        .mlp(mlp)
        .build();
  }

  /** The same network with the candidate field "ad" renamed: not input-compatible. */
  static ModelSpec incompatibleSpec() {
    return ModelSpec.builder()
        .name("serving-test")
        .architecture(Architecture.DNN)
        .field(FieldSpec.categorical("site", Role.CONTEXT, 3, 4, 4))
        .field(FieldSpec.logBucket("age", Role.CONTEXT, 20, 3))
        .field(FieldSpec.categorical("creative", Role.CANDIDATE, 0, 16, 5))
        .field(FieldSpec.scaled("bid", Role.CANDIDATE, 2))
        .mlp(8, 6)
        .build();
  }

  static byte[] ctrm(ModelSpec spec, long version, long seed) {
    CtrModel m = CtrModel.random(spec, seed).withVersion(version);
    return CtrmFormat.toBytes(m.toFile());
  }

  static byte[] ctrm(long version) {
    return ctrm(spec(8, 6), version, version);
  }

  static ModelManifest manifest(String model, long version, byte[] bytes) {
    return ModelManifest.newBuilder().setModel(model).setVersion(version).setChunkCount(1)
        .setTotalBytes(bytes.length).setSha256(ModelRecords.sha256Hex(bytes))
        .setCreatedAtEpochMs(0).setMetadata(Map.of(ServedModel.COMPRESSED_FROM, "full-v" + version,
            ServedModel.COMPRESSION_RATIO, "12.5"))
        .build();
  }
}
