package io.ctrstreams.serving;

import static io.ctrstreams.serving.TestModels.ctrm;
import static io.ctrstreams.serving.TestModels.manifest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCheckpointTest {

  @Test
  void shouldLoadWhatItSavedAndKeepOnlyTheNewestFile(@TempDir Path dir) throws Exception {
    ModelCheckpoint c = new ModelCheckpoint(dir.resolve("ctr"));
    assertThat(c.load()).isEmpty();
    assertThat(c.expectedSpec()).isEmpty();
    byte[] v1 = ctrm(1);
    byte[] v2 = ctrm(2);
    c.save(manifest("ctr", 1, v1), ByteBuffer.wrap(v1));
    ByteBuffer b2 = ByteBuffer.wrap(v2);
    c.save(manifest("ctr", 2, v2), b2);
    assertThat(b2.position()).isZero();

    ModelCheckpoint.Restored r = c.load().orElseThrow();
    assertThat(r.manifest()).isEqualTo(manifest("ctr", 2, v2));
    assertThat(r.bytes()).isEqualTo(v2);
    try (var files = Files.list(dir.resolve("ctr"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("manifest", "v2.ctrm");
    }
    c.saveExpectedSpec(TestModels.spec(8, 6));
    assertThat(new ModelCheckpoint(dir.resolve("ctr")).expectedSpec()).contains(TestModels.spec(8, 6));
  }

  @Test
  void aTornAlteredOrMissingCheckpointShouldNeverBeLoaded(@TempDir Path dir) throws Exception {
    ModelCheckpoint c = new ModelCheckpoint(dir);
    byte[] v1 = ctrm(1);
    c.save(manifest("ctr", 1, v1), ByteBuffer.wrap(v1));
    Path file = dir.resolve("v1.ctrm");

    Files.write(file, Arrays.copyOf(v1, v1.length - 1)); // torn
    assertThat(c.load()).isEmpty();
    byte[] altered = v1.clone();
    altered[altered.length / 2] ^= 1;
    Files.write(file, altered); // same size, other bytes
    assertThat(c.load()).isEmpty();
    Files.delete(file);
    assertThat(c.load()).isEmpty();
    Files.write(file, v1);
    assertThat(c.load()).isPresent();
    Files.write(dir.resolve("manifest"), new byte[] {1, 2, 3}); // not a manifest
    assertThat(c.load()).isEmpty();
  }

  @Test
  void anUnreadableExpectedSpecShouldFailNamingTheFile(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("expected-spec.json"), "{\"fields\":");
    assertThatThrownBy(() -> new ModelCheckpoint(dir).expectedSpec())
        .isInstanceOf(ServingException.class)
        .hasMessageContaining(dir.resolve("expected-spec.json").toString())
        .hasMessageContaining("model.expected.spec");
  }
}
