package io.ctrstreams.serving;

import io.ctrstreams.schemas.ModelChunk;
import io.ctrstreams.schemas.ModelManifest;
import io.ctrstreams.schemas.ModelPin;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Builds models-topic records the way {@link ModelPublisher} writes them, without Kafka. */
final class TopicRecords {

  /** One record: key and value (null = tombstone). */
  record Rec(String key, byte[] value) {}

  private TopicRecords() {}

  static byte[] randomBytes(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static List<Rec> chunks(String model, long version, byte[] bytes, int chunkBytes) {
    int count = (bytes.length + chunkBytes - 1) / chunkBytes;
    List<Rec> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int from = i * chunkBytes;
      int len = Math.min(chunkBytes, bytes.length - from);
      out.add(chunk(model, version, i, count, ByteBuffer.wrap(bytes, from, len).slice()));
    }
    return out;
  }

  static Rec chunk(String model, long version, int index, int count, ByteBuffer data) {
    ModelChunk c = ModelChunk.newBuilder().setModel(model).setVersion(version).setIndex(index)
        .setChunkCount(count).setData(data).build();
    return new Rec(ModelKeys.chunk(model, version, index), ModelRecords.encode(c));
  }

  static ModelManifest manifestOf(String model, long version, byte[] bytes, int chunkBytes) {
    return ModelManifest.newBuilder().setModel(model).setVersion(version)
        .setChunkCount((bytes.length + chunkBytes - 1) / chunkBytes)
        .setTotalBytes(bytes.length).setSha256(ModelRecords.sha256Hex(bytes))
        .setCreatedAtEpochMs(1_700_000_000_000L).setMetadata(Map.of("compressed-from", "v0"))
        .build();
  }

  static Rec manifest(ModelManifest m) {
    return new Rec(ModelKeys.latestManifest(m.getModel()), ModelRecords.encode(m));
  }

  /** Chunks, per-version manifest, latest manifest: what one publish writes. */
  static List<Rec> publish(String model, long version, byte[] bytes, int chunkBytes) {
    List<Rec> out = new ArrayList<>(chunks(model, version, bytes, chunkBytes));
    ModelManifest m = manifestOf(model, version, bytes, chunkBytes);
    out.add(new Rec(ModelKeys.versionManifest(model, version), ModelRecords.encode(m)));
    out.add(manifest(m));
    return out;
  }

  static Rec pin(String model, long version) {
    return new Rec(ModelKeys.pin(model), ModelRecords.encode(
        ModelPin.newBuilder().setModel(model).setVersion(version).setPinnedAtEpochMs(1L).build()));
  }

  /** Feeds every record, returning the non-pending results in order. */
  static List<AssemblyResult> feed(ModelChunkAssembler a, List<Rec> recs) {
    List<AssemblyResult> out = new ArrayList<>();
    for (Rec r : recs) {
      AssemblyResult res = a.accept(r.key(), r.value());
      if (!(res instanceof AssemblyResult.Pending)) {
        out.add(res);
      }
    }
    return out;
  }
}
