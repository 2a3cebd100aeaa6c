package io.ctrstreams.topology;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.FieldSpec.Role;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ModelChunk;
import io.ctrstreams.schemas.ModelManifest;
import io.ctrstreams.schemas.ModelPin;
import io.ctrstreams.serving.ModelKeys;
import io.ctrstreams.serving.ModelRecords;
import io.ctrstreams.serving.ModelRegistry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.streams.KeyValue;

/** Small real models, their models-topic records and matching impressions for topology tests. */
public final class TestModels {
  private TestModels() {}

  /** A small DNN: context fields user, hour; candidate fields ad, bid. */
  public static ModelSpec spec(String name) {
    return spec(name, 32, 64);
  }

  private static ModelSpec spec(String name, int userBuckets, int adBuckets) {
    return ModelSpec.builder()
        .name(name)
        .architecture(Architecture.DNN)
        .field(FieldSpec.categorical("user", Role.CONTEXT, 0, userBuckets, 4))
        .field(FieldSpec.logBucket("hour", Role.CONTEXT, 24, 3))
        .field(FieldSpec.categorical("ad", Role.CANDIDATE, 0, adBuckets, 4))
        .field(FieldSpec.scaled("bid", Role.CANDIDATE, 2))
        .mlp(8, 4)
        .build();
  }

  /**
   * A model with {@link #spec}'s field names that encodes differently (16 instead of 32 user
   * buckets, 128 instead of 64 ad buckets), random weights: a shadow that cannot score the live
   * model's feature vectors.
   */
  public static CtrModel otherEncodingModel(String name, long version, long seed) {
    return CtrModel.random(spec(name, 16, 128), seed).withVersion(version);
  }

  /** A model whose candidate field is "creative" instead of "ad": other inputs than {@link #spec}'s. */
  public static CtrModel otherInputsModel(String name, long version, long seed) {
    ModelSpec spec = ModelSpec.builder()
        .name(name)
        .architecture(Architecture.DNN)
        .field(FieldSpec.categorical("user", Role.CONTEXT, 0, 32, 4))
        .field(FieldSpec.logBucket("hour", Role.CONTEXT, 24, 3))
        .field(FieldSpec.categorical("creative", Role.CANDIDATE, 0, 64, 4))
        .field(FieldSpec.scaled("bid", Role.CANDIDATE, 2))
        .mlp(8, 4)
        .build();
    return CtrModel.random(spec, seed).withVersion(version);
  }

  /** Random weights (seeded) as {@code name} version {@code version}. */
  public static CtrModel model(String name, long version, long seed) {
    return CtrModel.random(spec(name), seed).withVersion(version);
  }

  /** The .ctrm bytes of a model. */
  public static byte[] ctrm(CtrModel m) {
    return CtrmFormat.toBytes(m.toFile());
  }

  /**
   * The records {@code ModelPublisher} writes for one version: chunks, version manifest, latest
   * manifest. {@code corruptSha} publishes a manifest whose checksum does not match.
   */
  public static List<KeyValue<String, byte[]>> publishRecords(
      String name, long version, byte[] bytes, int chunkBytes, boolean corruptSha) {
    List<KeyValue<String, byte[]>> out = new ArrayList<>();
    int count = (bytes.length + chunkBytes - 1) / chunkBytes;
    for (int i = 0; i < count; i++) {
      int from = i * chunkBytes;
      int len = Math.min(chunkBytes, bytes.length - from);
      ModelChunk c = ModelChunk.newBuilder().setModel(name).setVersion(version).setIndex(i)
          .setChunkCount(count).setData(ByteBuffer.wrap(bytes, from, len).slice()).build();
      out.add(KeyValue.pair(ModelKeys.chunk(name, version, i), ModelRecords.encode(c)));
    }
    String sha = ModelRecords.sha256Hex(bytes);
    if (corruptSha) {
      sha = (sha.charAt(0) == '0' ? "1" : "0") + sha.substring(1);
    }
    byte[] mb = ModelRecords.encode(manifest(name, version, count, bytes.length, sha));
    out.add(KeyValue.pair(ModelKeys.versionManifest(name, version), mb));
    out.add(KeyValue.pair(ModelKeys.latestManifest(name), mb));
    return out;
  }

  private static ModelManifest manifest(String name, long version, int chunks, long bytes, String sha) {
    return ModelManifest.newBuilder().setModel(name).setVersion(version).setChunkCount(chunks)
        .setTotalBytes(bytes).setSha256(sha).setCreatedAtEpochMs(1_700_000_000_000L)
        .setMetadata(new HashMap<>(Map.of("compression-ratio", "4.5"))).build();
  }

  /** Offers {@code m} to {@code registry} as the models topic would deliver it (manifest + file). */
  public static ModelRegistry.Outcome offer(ModelRegistry registry, CtrModel m) {
    byte[] bytes = ctrm(m);
    return registry.offer(manifest(m.name(), m.version(), 1, bytes.length, ModelRecords.sha256Hex(bytes)), bytes);
  }

  /** The pin record for {@code version}. */
  public static KeyValue<String, byte[]> pinRecord(String name, long version) {
    ModelPin p = ModelPin.newBuilder().setModel(name).setVersion(version).setPinnedAtEpochMs(1L).build();
    return KeyValue.pair(ModelKeys.pin(name), ModelRecords.encode(p));
  }

  /** What the model's own scorer says for the impression's candidates (encoded from the decoded maps). */
  public static float[] pctr(CtrModel m, Impression imp) {
    FeatureEncoder enc = m.encoder();
    FeatureVector ctx = enc.encode(imp.getContext(), Role.CONTEXT, enc.newFeatureVector());
    int n = imp.getCandidates().size();
    FeatureVector[] cs = new FeatureVector[n];
    for (int i = 0; i < n; i++) {
      cs[i] = enc.encode(imp.getCandidates().get(i).getFeatures(), Role.CANDIDATE, enc.newFeatureVector());
    }
    float[] out = new float[n];
    m.scorer().scoreBatch(ctx, cs, n, out);
    return out;
  }

  /** An impression with {@code n} candidates and seeded feature values. */
  public static Impression impression(String eventId, long ts, int n, Random rnd) {
    Map<String, Object> ctx = new HashMap<>();
    ctx.put("user", "u" + rnd.nextInt(100));
    ctx.put("hour", (double) rnd.nextInt(24));
    List<Candidate> cs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, Object> f = new HashMap<>();
      f.put("ad", "ad" + rnd.nextInt(1000));
      f.put("bid", rnd.nextDouble());
      cs.add(new Candidate("ad-" + eventId + "-" + i, f));
    }
    return new Impression(eventId, ts, ctx, cs);
  }
}
