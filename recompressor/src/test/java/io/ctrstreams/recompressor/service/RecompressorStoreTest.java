package io.ctrstreams.recompressor.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.schemas.ModelManifest;
import io.ctrstreams.serving.AssemblyResult;
import io.ctrstreams.serving.ModelRecords;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecompressorStoreTest {
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String s(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void shouldKeepEveryImpressionUntilTheReservoirIsFull() {
    try (RecompressorStore st = new RecompressorStore(dir, 5, 3, 1)) {
      for (int i = 0; i < 5; i++) {
        assertThat(st.offerImpression(b("i" + i))).isTrue();
      }
      assertThat(st.reservoir()).extracting(RecompressorStoreTest::s).containsExactly("i0", "i1", "i2", "i3", "i4");
    }
  }

  @Test
  void shouldSampleUniformlyOnceTheReservoirIsFull() {
    // Algorithm R: each of n items is kept with probability k/n. Over many seeds the first item
    // and the last item must be kept about equally often.
    int k = 10;
    int n = 100;
    int trials = 200;
    int firstKept = 0;
    int lastKept = 0;
    for (int t = 0; t < trials; t++) {
      try (RecompressorStore st = new RecompressorStore(dir.resolve("t" + t), k, 1, t)) {
        for (int i = 0; i < n; i++) {
          st.offerImpression(b("i" + i));
        }
        List<byte[]> r = st.reservoir();
        assertThat(r).hasSize(k);
        Set<String> kept = new HashSet<>();
        r.forEach(x -> kept.add(s(x)));
        firstKept += kept.contains("i0") ? 1 : 0;
        lastKept += kept.contains("i" + (n - 1)) ? 1 : 0;
      }
    }
    // expected 20 each (k/n * trials); binomial sd ~4.2: allow 4 sd
    assertThat(firstKept).isBetween(3, 37);
    assertThat(lastKept).isBetween(3, 37);
  }

  @Test
  void shouldKeepTheLatestLabeledRecordsOldestFirst() {
    try (RecompressorStore st = new RecompressorStore(dir, 2, 3, 1)) {
      for (int i = 0; i < 7; i++) {
        st.addLabeled(b("l" + i));
      }
      assertThat(st.holdout()).extracting(RecompressorStoreTest::s).containsExactly("l4", "l5", "l6");
      assertThat(st.labeledSeen()).isEqualTo(7);
    }
  }

  @Test
  void shouldRestoreStateAndMarkersAfterReopen() {
    try (RecompressorStore st = new RecompressorStore(dir, 4, 4, 1)) {
      assertThat(st.finishedFullVersion()).isEqualTo(-1);
      assertThat(st.publishedVersion()).isEqualTo(-1);
      st.putFullModel(full(3, "model-", "3"));
      st.offerImpression(b("a"));
      st.addLabeled(b("x"));
      st.markFinished(3, 7, 1234L, 0.5);
      st.markFinished(2, -1, 999L, Double.NaN); // an older rejected run never moves markers back
    }
    try (RecompressorStore st = new RecompressorStore(dir, 4, 4, 1)) {
      assertThat(st.fullModelVersion()).isEqualTo(3);
      AssemblyResult.Assembled full = st.fullModel();
      assertThat(full.version()).isEqualTo(3);
      assertThat(full.manifest().getMetadata()).containsEntry("examples-trained", "3");
      assertThat(full.chunks()).extracting(RecompressorStoreTest::s).containsExactly("model-", "3");
      assertThat(st.finishedFullVersion()).isEqualTo(3);
      assertThat(st.publishedVersion()).isEqualTo(7);
      assertThat(st.lastSuccessMs()).isEqualTo(1234L);
      assertThat(st.gateLogloss()).isEqualTo(0.5);
      assertThat(st.impressionsSeen()).isEqualTo(1);
      assertThat(st.reservoir()).extracting(RecompressorStoreTest::s).containsExactly("a");
      assertThat(st.holdout()).extracting(RecompressorStoreTest::s).containsExactly("x");
    }
  }

  @Test
  void shouldReplaceTheFullSnapshotChunkForChunk() {
    try (RecompressorStore st = new RecompressorStore(dir, 4, 4, 1)) {
      assertThat(st.fullModel()).isNull();
      st.putFullModel(full(1, "a", "b", "c"));
      st.putFullModel(full(2, "de"));
    }
    try (RecompressorStore st = new RecompressorStore(dir, 4, 4, 1)) {
      assertThat(st.fullModelVersion()).isEqualTo(2);
      assertThat(st.fullModel().chunks()).extracting(RecompressorStoreTest::s).containsExactly("de");
      assertThat(st.fullModel().size()).isEqualTo(2);
    }
  }

  /** An assembled full snapshot of {@code chunks} with a manifest like the trainer's. */
  private static AssemblyResult.Assembled full(long version, String... chunks) {
    List<byte[]> parts = new ArrayList<>();
    for (String c : chunks) {
      parts.add(b(c));
    }
    ModelManifest m = ModelManifest.newBuilder().setModel("ctr-full").setVersion(version).setChunkCount(parts.size())
        .setTotalBytes(String.join("", chunks).length()).setSha256(ModelRecords.sha256Hex(parts))
        .setCreatedAtEpochMs(0).setMetadata(Map.of("examples-trained", Long.toString(version))).build();
    return new AssemblyResult.Assembled(m, parts);
  }
}
