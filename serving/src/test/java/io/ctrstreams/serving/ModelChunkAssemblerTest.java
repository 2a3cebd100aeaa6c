package io.ctrstreams.serving;

import static io.ctrstreams.serving.TopicRecords.chunks;
import static io.ctrstreams.serving.TopicRecords.feed;
import static io.ctrstreams.serving.TopicRecords.manifest;
import static io.ctrstreams.serving.TopicRecords.manifestOf;
import static io.ctrstreams.serving.TopicRecords.publish;
import static io.ctrstreams.serving.TopicRecords.randomBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import io.ctrstreams.schemas.ModelManifest;
import io.ctrstreams.serving.TopicRecords.Rec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class ModelChunkAssemblerTest {

  private static final String M = "ctr";

  @Property(tries = 60)
  void shouldReassembleAnyModelFromShuffledChunks(
      @ForAll @IntRange(min = 1, max = 5000) int size,
      @ForAll @IntRange(min = 1, max = 700) int chunkBytes,
      @ForAll @LongRange(min = 0, max = 1000) long seed) {
    byte[] bytes = randomBytes(seed, size);
    List<Rec> cs = new ArrayList<>(chunks(M, 3, bytes, chunkBytes));
    Collections.shuffle(cs, new Random(seed));
    ModelChunkAssembler a = new ModelChunkAssembler();

    List<AssemblyResult> out = feed(a, cs);
    out.addAll(feed(a, List.of(manifest(manifestOf(M, 3, bytes, chunkBytes)))));

    assertThat(out).singleElement().asInstanceOf(type(AssemblyResult.Assembled.class))
        .satisfies(r -> {
          assertThat(r.bytes()).isEqualTo(bytes);
          assertThat(r.version()).isEqualTo(3);
          assertThat(r.manifest().getMetadata()).containsEntry("compressed-from", "v0");
        });
    assertThat(a.bufferedBytes()).isZero();
  }

  @Test
  void shouldAssembleOncePerPublishAndIgnoreTheDuplicateLatestManifest() {
    ModelChunkAssembler a = new ModelChunkAssembler();
    List<AssemblyResult> out = feed(a, publish(M, 1, randomBytes(1, 1000), 300));
    assertThat(out).hasSize(1).first().isInstanceOf(AssemblyResult.Assembled.class);
    assertThat(a.newestAssembled(M)).isEqualTo(1);
  }

  @Test
  void shouldRejectManifestWhenAChunkIsMissing() {
    byte[] bytes = randomBytes(2, 1000);
    List<Rec> cs = new ArrayList<>(chunks(M, 1, bytes, 300));
    cs.remove(2);
    ModelChunkAssembler a = new ModelChunkAssembler();
    feed(a, cs);

    AssemblyResult r = a.accept(manifest(manifestOf(M, 1, bytes, 300)).key(),
        manifest(manifestOf(M, 1, bytes, 300)).value());

    assertThat(r).isEqualTo(new AssemblyResult.Rejected(M, 1, RejectReason.MISSING_CHUNKS,
        "manifest lists 4 chunks, missing [2]"));
    assertThat(a.bufferedBytes()).isZero();
    assertThat(a.newestAssembled(M)).isEqualTo(-1);
  }

  @Test
  void shouldRejectLateChunksAfterTheirManifestUntilANewManifestArrives() {
    byte[] bytes = randomBytes(3, 1000);
    List<Rec> cs = chunks(M, 1, bytes, 300);
    Rec man = manifest(manifestOf(M, 1, bytes, 300));
    ModelChunkAssembler a = new ModelChunkAssembler();
    feed(a, cs.subList(0, 3));
    assertThat(a.accept(man.key(), man.value()))
        .asInstanceOf(type(AssemblyResult.Rejected.class))
        .extracting(AssemblyResult.Rejected::reason).isEqualTo(RejectReason.MISSING_CHUNKS);

    // The late chunk starts a new attempt that needs every chunk again and a new manifest.
    assertThat(feed(a, List.of(cs.get(3)))).isEmpty();
    assertThat(a.accept(man.key(), man.value()))
        .asInstanceOf(type(AssemblyResult.Rejected.class))
        .extracting(AssemblyResult.Rejected::reason).isEqualTo(RejectReason.MISSING_CHUNKS);
    feed(a, cs);
    assertThat(a.accept(man.key(), man.value())).isInstanceOf(AssemblyResult.Assembled.class);
  }

  @Test
  void shouldRejectChecksumMismatchWhenAChunkIsCorrupt() {
    byte[] bytes = randomBytes(4, 1000);
    byte[] corrupt = bytes.clone();
    corrupt[500] ^= 1;
    ModelChunkAssembler a = new ModelChunkAssembler();
    feed(a, chunks(M, 1, corrupt, 300));

    List<AssemblyResult> out = feed(a, List.of(manifest(manifestOf(M, 1, bytes, 300))));

    assertThat(out).singleElement().asInstanceOf(type(AssemblyResult.Rejected.class))
        .satisfies(r -> {
          assertThat(r.reason()).isEqualTo(RejectReason.CHECKSUM_MISMATCH);
          assertThat(r.message()).contains(ModelRecords.sha256Hex(corrupt))
              .contains(ModelRecords.sha256Hex(bytes));
        });
  }

  @Test
  void shouldRejectChecksumMismatchWhenTheLengthDiffers() {
    byte[] bytes = randomBytes(5, 1000);
    ModelManifest m = manifestOf(M, 1, bytes, 300);
    m.setTotalBytes(999);
    ModelChunkAssembler a = new ModelChunkAssembler();
    feed(a, chunks(M, 1, bytes, 300));

    assertThat(feed(a, List.of(manifest(m)))).singleElement()
        .isEqualTo(new AssemblyResult.Rejected(M, 1, RejectReason.CHECKSUM_MISMATCH,
            "chunks hold 1000 bytes, the manifest says 999"));
  }

  @Test
  void shouldRejectAChunkIndexBeyondItsCountButStillAssembleTheGoodChunks() {
    byte[] bytes = randomBytes(6, 1000);
    ModelChunkAssembler a = new ModelChunkAssembler();
    feed(a, chunks(M, 1, bytes, 300));
    Rec bogus = TopicRecords.chunk(M, 1, 4, 4, ByteBuffer.wrap(new byte[10]));

    AssemblyResult r = a.accept(bogus.key(), bogus.value());

    assertThat(r).isEqualTo(new AssemblyResult.Rejected(M, 1,
        RejectReason.CHUNK_INDEX_OUT_OF_RANGE, "chunk index must be in [0, 4), found 4"));
    assertThat(feed(a, List.of(manifest(manifestOf(M, 1, bytes, 300))))).singleElement()
        .isInstanceOf(AssemblyResult.Assembled.class);
  }

  @Test
  void shouldAssembleDespiteADuplicatedChunk() {
    byte[] bytes = randomBytes(7, 1000);
    List<Rec> cs = new ArrayList<>(chunks(M, 1, bytes, 300));
    cs.add(1, cs.get(1));
    ModelChunkAssembler a = new ModelChunkAssembler();
    feed(a, cs);
    assertThat(a.bufferedBytes()).isEqualTo(1000);

    assertThat(feed(a, List.of(manifest(manifestOf(M, 1, bytes, 300))))).singleElement()
        .asInstanceOf(type(AssemblyResult.Assembled.class))
        .extracting(AssemblyResult.Assembled::bytes).isEqualTo(bytes);
  }

  @Test
  void shouldRejectAManifestOlderThanTheAssembledVersion() {
    ModelChunkAssembler a = new ModelChunkAssembler();
    byte[] v1 = randomBytes(8, 500);
    feed(a, publish(M, 2, randomBytes(9, 500), 200));
    List<Rec> old = publish(M, 1, v1, 200);

    List<AssemblyResult> out = feed(a, old);

    assertThat(out).hasSize(2).allSatisfy(r -> assertThat(r)
        .isEqualTo(new AssemblyResult.Rejected(M, 1, RejectReason.OLDER_THAN_CURRENT,
            "manifest of version 1 is older than the assembled version 2")));
    assertThat(a.bufferedBytes()).as("chunks of old versions are not buffered").isZero();
    assertThat(a.droppedChunks()).isEqualTo(3);
  }

  @Test
  void shouldReplayRetainedVersionsInTopicOrder() {
    ModelChunkAssembler a = new ModelChunkAssembler();
    List<Rec> log = new ArrayList<>();
    log.addAll(publish(M, 4, randomBytes(10, 800), 300));
    log.addAll(publish(M, 5, randomBytes(11, 900), 300));
    log.add(TopicRecords.pin(M, 4));
    log.add(new Rec(ModelKeys.pin(M), null));

    List<AssemblyResult> out = feed(a, log);

    assertThat(out).hasSize(4);
    assertThat(out.get(0)).asInstanceOf(type(AssemblyResult.Assembled.class))
        .extracting(AssemblyResult.Assembled::version).isEqualTo(4L);
    assertThat(out.get(1)).asInstanceOf(type(AssemblyResult.Assembled.class))
        .extracting(AssemblyResult.Assembled::version).isEqualTo(5L);
    assertThat(out.get(2)).isEqualTo(new AssemblyResult.Pin(M, 4));
    assertThat(out.get(3)).isEqualTo(new AssemblyResult.Unpin(M));
  }

  @Test
  void shouldKeepModelsApart() {
    ModelChunkAssembler a = new ModelChunkAssembler();
    List<Rec> log = new ArrayList<>();
    List<Rec> x = publish("x", 1, randomBytes(12, 700), 300);
    List<Rec> y = publish("y", 1, randomBytes(13, 700), 300);
    for (int i = 0; i < x.size(); i++) {
      log.add(x.get(i));
      log.add(y.get(i));
    }
    assertThat(feed(a, log)).hasSize(2).allSatisfy(r ->
        assertThat(r).isInstanceOf(AssemblyResult.Assembled.class));
  }

  @Test
  void shouldRejectAVersionThatDoesNotFitTheBufferCap() {
    ModelChunkAssembler a = new ModelChunkAssembler(1000, 400);
    byte[] bytes = randomBytes(14, 1500);

    List<AssemblyResult> out = feed(a, publish(M, 1, bytes, 400));

    assertThat(out).first().asInstanceOf(type(AssemblyResult.Rejected.class))
        .extracting(AssemblyResult.Rejected::reason).isEqualTo(RejectReason.BUFFER_OVERFLOW);
    assertThat(a.bufferedBytes()).isZero();
    // A smaller next version still fits.
    assertThat(feed(a, publish(M, 2, randomBytes(15, 900), 400))).singleElement()
        .isInstanceOf(AssemblyResult.Assembled.class);
  }

  @Test
  void shouldBufferAtMostTwoVersionsPerModelAndFreeTombstonedChunks() {
    ModelChunkAssembler a = new ModelChunkAssembler();
    for (long v = 1; v <= 4; v++) {
      feed(a, chunks(M, v, randomBytes(v, 100), 60));
    }
    assertThat(a.pendingVersions(M)).containsExactly(3L, 4L);
    assertThat(a.bufferedBytes()).isEqualTo(200);

    a.accept(ModelKeys.chunk(M, 4, 0), null);

    assertThat(a.bufferedBytes()).isEqualTo(140);
  }

  @Test
  void shouldRejectMalformedKeysAndValues() {
    ModelChunkAssembler a = new ModelChunkAssembler();
    byte[] junk = "not avro".getBytes(StandardCharsets.UTF_8);

    assertThat(a.accept("no-slash", junk)).asInstanceOf(type(AssemblyResult.Rejected.class))
        .extracting(AssemblyResult.Rejected::reason).isEqualTo(RejectReason.MALFORMED_RECORD);
    assertThat(a.accept(ModelKeys.chunk(M, 1, 0), junk))
        .asInstanceOf(type(AssemblyResult.Rejected.class))
        .extracting(AssemblyResult.Rejected::reason).isEqualTo(RejectReason.MALFORMED_RECORD);
    Rec wrongKey = TopicRecords.chunk(M, 1, 0, 2, ByteBuffer.wrap(new byte[3]));
    assertThat(a.accept(ModelKeys.chunk(M, 1, 1), wrongKey.value()))
        .asInstanceOf(type(AssemblyResult.Rejected.class))
        .extracting(AssemblyResult.Rejected::message)
        .isEqualTo("key ctr/1/1 holds chunk ctr/1/0");
    assertThat(a.accept(ModelKeys.pin(M), junk)).asInstanceOf(type(AssemblyResult.Rejected.class))
        .extracting(AssemblyResult.Rejected::reason).isEqualTo(RejectReason.MALFORMED_RECORD);
  }

  @Test
  void shouldRejectAnOversizedChunk() {
    ModelChunkAssembler a = new ModelChunkAssembler(10_000, 100);
    Rec big = TopicRecords.chunk(M, 1, 0, 1, ByteBuffer.wrap(new byte[101]));

    assertThat(a.accept(big.key(), big.value()))
        .isEqualTo(new AssemblyResult.Rejected(M, 1, RejectReason.MALFORMED_RECORD,
            "chunk 0 holds 101 bytes, above the limit of 100"));
    assertThat(a.bufferedBytes()).isZero();
  }

  @Property(tries = 100)
  void shouldNeverBufferMoreThanTheCapWhateverArrives(
      @ForAll @LongRange(min = 0, max = 100_000) long seed) {
    Random rnd = new Random(seed);
    long cap = 2_000;
    ModelChunkAssembler a = new ModelChunkAssembler(cap, 300);
    for (int step = 0; step < 200; step++) {
      String model = "m" + rnd.nextInt(3);
      long version = rnd.nextInt(6);
      byte[] bytes = randomBytes(rnd.nextLong(), 1 + rnd.nextInt(1200));
      int chunkBytes = 1 + rnd.nextInt(300);
      List<Rec> recs = new ArrayList<>(publish(model, version, bytes, chunkBytes));
      if (rnd.nextBoolean()) {
        recs.remove(rnd.nextInt(recs.size())); // lose a record
      }
      if (rnd.nextBoolean()) {
        Collections.shuffle(recs, rnd); // misbehaving order
      }
      for (Rec r : recs) {
        if (rnd.nextInt(10) == 0) {
          a.accept(r.key(), null); // stray tombstone
        } else {
          a.accept(r.key(), r.value());
        }
        assertThat(a.bufferedBytes()).as("seed %d", seed).isBetween(0L, cap);
      }
    }
  }
}
