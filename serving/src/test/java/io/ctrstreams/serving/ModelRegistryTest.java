package io.ctrstreams.serving;

import static io.ctrstreams.serving.TestModels.ctrm;
import static io.ctrstreams.serving.TestModels.manifest;
import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.serving.ModelRegistry.Outcome;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ModelRegistryTest {

  private static final String M = "ctr";

  private static final class Recorder implements RegistryListener {
    final List<String> events = new ArrayList<>();

    @Override
    public void onSwap(ServedModel previous, ServedModel current) {
      events.add("swap " + (previous == null ? "-" : previous.version()) + "->" + current.version());
    }

    @Override
    public void onReject(String model, long version, RejectReason reason, String message) {
      events.add("reject " + model + " v" + version + " " + reason);
    }
  }

  @Test
  void shouldServeNothingUntilTheFirstGoodModel() {
    ModelRegistry r = new ModelRegistry(M);
    assertThat(r.current()).isNull();
    byte[] b = ctrm(1);

    assertThat(r.offer(manifest(M, 1, b), b)).isEqualTo(Outcome.SWAPPED);

    ServedModel s = r.current();
    assertThat(s.version()).isEqualTo(1);
    assertThat(s.model().version()).isEqualTo(1);
    assertThat(s.scorer().model()).isSameAs(s.model());
    assertThat(s.sizeBytes()).isEqualTo(b.length);
    assertThat(s.compressedFrom()).contains("full-v1");
    assertThat(s.compressionRatio()).hasValue(12.5);
    assertThat(r.swapCount()).isEqualTo(1);
    assertThat(r.ramBytesUsed()).isPositive();
  }

  @Test
  void chunkedOffersShouldDecodeAsTheWholeFileThroughTheReusedBuffer() {
    ModelRegistry chunked = new ModelRegistry(M);
    ModelRegistry whole = new ModelRegistry(M);
    // small, larger (the buffer grows), small again (reused with stale bytes beyond the file)
    long[][] versions = {{1, 8}, {2, 64}, {3, 8}};
    FeatureVector ctx = null;
    FeatureVector cand = null;
    for (long[] v : versions) {
      byte[] b = TestModels.ctrm(TestModels.spec((int) v[1], 6), v[0], v[0]);
      List<byte[]> chunks = new ArrayList<>();
      for (int p = 0, size = 1; p < b.length; p += size, size = size * 3 + 1) {
        chunks.add(java.util.Arrays.copyOfRange(b, p, Math.min(b.length, p + size)));
      }
      assertThat(chunks).hasSizeGreaterThan(3);
      assertThat(new AssemblyResult.Assembled(manifest(M, v[0], b), chunks).bytes()).isEqualTo(b);
      assertThat(chunked.apply(new AssemblyResult.Assembled(manifest(M, v[0], b), chunks))).isEqualTo(Outcome.SWAPPED);
      assertThat(whole.offer(manifest(M, v[0], b), b)).isEqualTo(Outcome.SWAPPED);
      ServedModel s = chunked.current();
      assertThat(s.version()).isEqualTo(v[0]);
      assertThat(s.sizeBytes()).isEqualTo(b.length);
      if (ctx == null) {
        ctx = s.model().encoder().encode(java.util.Map.of("site", "site:1", "age", 7), s.model().encoder().newFeatureVector());
        cand = s.model().encoder().encode(java.util.Map.of("ad", "ad-3", "bid", 0.5), s.model().encoder().newFeatureVector());
      }
      assertThat(s.scorer().scoreLogit(ctx, cand)).isEqualTo(whole.current().scorer().scoreLogit(ctx, cand));
    }
  }

  @Test
  void shouldMakeANewerVersionVisibleAndServeItUnderTheManifestVersion() {
    ModelRegistry r = new ModelRegistry(M);
    Recorder rec = new Recorder();
    r.addListener(rec);
    byte[] b1 = ctrm(1);
    byte[] b7 = ctrm(TestModels.spec(8, 6), 3, 7); // file says serving-test v3; the topic says ctr v7
    r.offer(manifest(M, 1, b1), b1);

    r.offer(manifest(M, 7, b7), b7);

    ServedModel s = r.current();
    assertThat(s.version()).isEqualTo(7);
    assertThat(s.name()).isEqualTo(M);
    assertThat(r.retainedVersions()).containsExactly(1L, 7L);
    assertThat(rec.events).containsExactly("swap -->1", "swap 1->7");
    // the transport owns the identity: the decoded file is served as it is, not rebuilt to rename it
    assertThat(s.model().version()).isEqualTo(3);
    assertThat(s.model().name()).isEqualTo("serving-test");
    assertThat(s.scorer().model()).isSameAs(s.model());
  }

  @Test
  void shouldOrderVersionsByTheManifestNotByTheFile() {
    ModelRegistry r = new ModelRegistry(M);
    byte[] fileV9 = ctrm(TestModels.spec(8, 6), 9, 1);
    byte[] fileV2 = ctrm(TestModels.spec(8, 6), 2, 2);
    r.offer(manifest(M, 1, fileV9), fileV9);

    assertThat(r.offer(manifest(M, 2, fileV2), fileV2)).isEqualTo(Outcome.SWAPPED);
    assertThat(r.offer(manifest(M, 1, fileV9), fileV9)).isEqualTo(Outcome.IGNORED);

    assertThat(r.current().version()).isEqualTo(2);
    assertThat(r.current().model().version()).isEqualTo(2);
  }

  @Test
  void shouldRejectCorruptBytesAndKeepServingThePreviousModel() {
    ModelRegistry r = new ModelRegistry(M);
    Recorder rec = new Recorder();
    r.addListener(rec);
    byte[] b1 = ctrm(1);
    r.offer(manifest(M, 1, b1), b1);
    byte[] bad = ctrm(2);
    bad[bad.length / 2] ^= 0x55;

    assertThat(r.offer(manifest(M, 2, bad), bad)).isEqualTo(Outcome.REJECTED);

    assertThat(r.current().version()).isEqualTo(1);
    assertThat(r.rejectCount(RejectReason.DECODE_FAILED)).isEqualTo(1);
    assertThat(rec.events).containsExactly("swap -->1", "reject ctr v2 DECODE_FAILED");
  }

  @Test
  void shouldRejectASpecIncompatibleModelAndKeepServingThePreviousModel() {
    ModelRegistry r = new ModelRegistry(M);
    byte[] b1 = ctrm(1);
    r.offer(manifest(M, 1, b1), b1);
    byte[] other = ctrm(TestModels.incompatibleSpec(), 2, 2);
    byte[] widerMlp = ctrm(TestModels.spec(16, 4), 3, 3);

    assertThat(r.offer(manifest(M, 2, other), other)).isEqualTo(Outcome.REJECTED);
    assertThat(r.current().version()).isEqualTo(1);
    assertThat(r.rejectCount(RejectReason.SPEC_INCOMPATIBLE)).isEqualTo(1);
    // A different network over the same inputs is fine.
    assertThat(r.offer(manifest(M, 3, widerMlp), widerMlp)).isEqualTo(Outcome.SWAPPED);
  }

  @Test
  void shouldCountAssemblerRejectionsAndIgnoreOtherModels() {
    ModelRegistry r = new ModelRegistry(M);

    assertThat(r.apply(new AssemblyResult.Rejected(M, 4, RejectReason.CHECKSUM_MISMATCH, "x")))
        .isEqualTo(Outcome.REJECTED);
    assertThat(r.apply(new AssemblyResult.Rejected("other", 4, RejectReason.CHECKSUM_MISMATCH, "x")))
        .isEqualTo(Outcome.IGNORED);
    byte[] b = ctrm(1);
    assertThat(r.apply(new AssemblyResult.Assembled(manifest("other", 1, b), b)))
        .isEqualTo(Outcome.IGNORED);

    assertThat(r.rejectCounts()).containsEntry(RejectReason.CHECKSUM_MISMATCH, 1L)
        .containsEntry(RejectReason.MISSING_CHUNKS, 0L);
    assertThat(r.current()).isNull();
  }

  @Test
  void shouldRejectAnOlderVersionWhenNotPinned() {
    ModelRegistry r = new ModelRegistry(M);
    byte[] b2 = ctrm(2);
    byte[] b1 = ctrm(1);
    r.offer(manifest(M, 2, b2), b2);

    assertThat(r.offer(manifest(M, 1, b1), b1)).isEqualTo(Outcome.REJECTED);
    assertThat(r.rejectCount(RejectReason.OLDER_THAN_CURRENT)).isEqualTo(1);
    assertThat(r.current().version()).isEqualTo(2);
  }

  @Test
  void shouldSwitchOnPinAndUnpinWithoutReloading() {
    ModelRegistry r = new ModelRegistry(M);
    for (long v = 1; v <= 3; v++) {
      byte[] b = ctrm(v);
      r.offer(manifest(M, v, b), b);
    }
    assertThat(r.retainedVersions()).containsExactly(2L, 3L);

    assertThat(r.apply(new AssemblyResult.Pin(M, 2))).isEqualTo(Outcome.SWAPPED);
    assertThat(r.current().version()).isEqualTo(2);
    ServedModel pinnedModel = r.current();

    // A newer version is retained, not served, while pinned.
    byte[] b4 = ctrm(4);
    assertThat(r.offer(manifest(M, 4, b4), b4)).isEqualTo(Outcome.RETAINED);
    assertThat(r.current()).isSameAs(pinnedModel);
    assertThat(r.retainedVersions()).containsExactly(2L, 3L, 4L);

    assertThat(r.apply(new AssemblyResult.Unpin(M))).isEqualTo(Outcome.SWAPPED);
    assertThat(r.current().version()).isEqualTo(4);
    assertThat(r.retainedVersions()).containsExactly(3L, 4L);
  }

  @Test
  void shouldRejectAPinToAMissingVersionButServeItWhenItArrives() {
    ModelRegistry r = new ModelRegistry(M);
    byte[] b5 = ctrm(5);
    r.offer(manifest(M, 5, b5), b5);

    assertThat(r.pin(3)).isEqualTo(Outcome.REJECTED);
    assertThat(r.rejectCount(RejectReason.PIN_TO_MISSING_VERSION)).isEqualTo(1);
    assertThat(r.current().version()).isEqualTo(5);

    byte[] b3 = ctrm(3);
    assertThat(r.offer(manifest(M, 3, b3), b3)).isEqualTo(Outcome.SWAPPED);
    assertThat(r.current().version()).isEqualTo(3);
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void shouldShowConcurrentReadersOnlyCompleteModelsInVersionOrder() throws Exception {
    ModelRegistry r = new ModelRegistry(M, CompatibilityCheck.SAME_INPUT_FIELDS, 2, Clock.systemUTC());
    int versions = 20;
    List<byte[]> files = new ArrayList<>();
    for (int v = 1; v <= versions; v++) {
      files.add(ctrm(TestModels.spec(4 + v % 5, 3), v, v));
    }
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    int readers = 3;
    CountDownLatch finished = new CountDownLatch(readers);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < readers; t++) {
      Thread th = new Thread(() -> {
        try {
          long last = -1;
          long reads = 0;
          while (!done.get() || reads == 0) {
            ServedModel s = r.current();
            if (s == null) {
              continue;
            }
            assertThat(s.version()).isGreaterThanOrEqualTo(last);
            assertThat(s.model().version()).isEqualTo(s.version());
            assertThat(s.scorer().model()).isSameAs(s.model());
            FeatureVector ctx = s.model().spec().newFeatureVector();
            FeatureVector cand = s.model().spec().newFeatureVector();
            float p = s.scorer().score(ctx, cand);
            assertThat(p).isBetween(0f, 1f);
            last = s.version();
            reads++;
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        } finally {
          finished.countDown();
        }
      }, "registry-reader-" + t);
      th.start();
      threads.add(th);
    }
    for (int v = 1; v <= versions; v++) {
      byte[] b = files.get(v - 1);
      assertThat(r.offer(manifest(M, v, b), b)).isEqualTo(Outcome.SWAPPED);
    }
    done.set(true);
    assertThat(finished.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(failure.get()).isNull();
    assertThat(r.current().version()).isEqualTo(versions);
    assertThat(r.swapCount()).isEqualTo(versions);
  }

  @Test
  void aFreshRegistryShouldRejectAModelThatIsNotTheExpectedInputsAndServeTheNextThatIs() {
    ModelRegistry r = new ModelRegistry(M);
    Recorder rec = new Recorder();
    r.addListener(rec);
    r.expect(TestModels.spec(8, 6));
    byte[] other = ctrm(TestModels.incompatibleSpec(), 2, 2);

    assertThat(r.offer(manifest(M, 2, other), other)).isEqualTo(Outcome.REJECTED);
    assertThat(r.current()).isNull();
    byte[] good = ctrm(TestModels.spec(16, 4), 1, 1); // another network, the same inputs
    assertThat(r.offer(manifest(M, 1, good), good)).isEqualTo(Outcome.SWAPPED);
    assertThat(rec.events).containsExactly("reject ctr v2 SPEC_INCOMPATIBLE", "swap -->1");
  }

  @Test
  void theFirstModelServedShouldBecomeTheExpectedSpec() {
    ModelRegistry r = new ModelRegistry(M);
    assertThat(r.expectedSpec()).isEmpty();
    byte[] b = ctrm(1);
    r.offer(manifest(M, 1, b), b);
    assertThat(r.expectedSpec()).contains(TestModels.spec(8, 6));
  }

  @Test
  void aRestartShouldServeTheCheckpointAndKeepTheExpectedSpec(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    ModelCheckpoint checkpoint = new ModelCheckpoint(dir.resolve(M));
    ModelRegistry first = new ModelRegistry(M);
    first.checkpointTo(checkpoint);
    byte[] v1 = ctrm(1);
    byte[] v2 = ctrm(TestModels.spec(16, 4), 2, 2);
    first.offer(manifest(M, 1, v1), v1);
    // chunked through the reused off-heap buffer, larger than v1: the saved file is exactly v2
    first.apply(new AssemblyResult.Assembled(manifest(M, 2, v2),
        List.of(java.util.Arrays.copyOf(v2, 100), java.util.Arrays.copyOfRange(v2, 100, v2.length))));
    assertThat(checkpoint.load()).hasValueSatisfying(saved -> {
      assertThat(saved.manifest().getVersion()).isEqualTo(2);
      assertThat(saved.bytes()).isEqualTo(v2);
    });
    assertThat(checkpoint.expectedSpec()).contains(TestModels.spec(8, 6));

    ModelRegistry restarted = new ModelRegistry(M);
    Recorder rec = new Recorder();
    restarted.addListener(rec);
    checkpoint.expectedSpec().ifPresent(restarted::expect);
    restarted.checkpointTo(checkpoint);
    assertThat(restarted.restore(checkpoint.load().orElseThrow())).isEqualTo(Outcome.SWAPPED);
    assertThat(restarted.current().version()).isEqualTo(2);
    // the topic replay: v1 is retained, not rejected as older, so a replayed pin can switch to it
    assertThat(restarted.offer(manifest(M, 1, v1), v1)).isEqualTo(Outcome.RETAINED);
    assertThat(restarted.offer(manifest(M, 2, v2), v2)).isEqualTo(Outcome.IGNORED);
    assertThat(restarted.pin(1)).isEqualTo(Outcome.SWAPPED);
    assertThat(restarted.unpin()).isEqualTo(Outcome.SWAPPED);
    byte[] other = ctrm(TestModels.incompatibleSpec(), 3, 3);
    assertThat(restarted.offer(manifest(M, 3, other), other)).isEqualTo(Outcome.REJECTED);
    byte[] v4 = ctrm(4);
    assertThat(restarted.offer(manifest(M, 4, v4), v4)).isEqualTo(Outcome.SWAPPED);
    assertThat(rec.events).containsExactly("swap -->2", "swap 2->1", "swap 1->2", "reject ctr v3 SPEC_INCOMPATIBLE",
        "swap 2->4");
    assertThat(checkpoint.load().orElseThrow().manifest().getVersion()).isEqualTo(4);
    // once a newer model is served from the topic, older ones are rejected again
    byte[] v3 = ctrm(3);
    assertThat(restarted.offer(manifest(M, 3, v3), v3)).isEqualTo(Outcome.REJECTED);
    assertThat(restarted.rejectCount(RejectReason.OLDER_THAN_CURRENT)).isEqualTo(1);
  }

  @Test
  void aCheckpointOfIncompatibleInputsShouldNotBeServed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    ModelCheckpoint checkpoint = new ModelCheckpoint(dir);
    byte[] other = ctrm(TestModels.incompatibleSpec(), 3, 3);
    checkpoint.save(manifest(M, 3, other), java.nio.ByteBuffer.wrap(other));
    ModelRegistry r = new ModelRegistry(M);
    r.expect(TestModels.spec(8, 6));
    assertThat(r.restore(checkpoint.load().orElseThrow())).isEqualTo(Outcome.REJECTED);
    assertThat(r.current()).isNull();
  }
}
