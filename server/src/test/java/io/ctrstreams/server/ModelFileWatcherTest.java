package io.ctrstreams.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.serving.ModelRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hot swap from a watched .ctrm file: newer versions are served, anything else is refused while the old one serves. */
class ModelFileWatcherTest {
  @TempDir Path dir;

  private Path served;

  /** Writes {@code bytes} next to the served file and renames it over it, as a deployer should. */
  private void replace(byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(dir, "next", ".ctrm");
    Files.write(tmp, bytes);
    Files.move(tmp, served, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static float[] scores(CtrModel m) {
    return ServerTestModels.reference(m, Map.of("user", "u-1", "hour", 9.0),
        List.of(Map.of("ad", "a-1", "bid", 0.5), Map.of("ad", "a-2", "bid", 1.5)));
  }

  @Test
  void shouldServeNewerVersionsAndRefuseCorruptOlderOrSameVersionFilesWhileTheOldOneServes() throws IOException {
    served = dir.resolve("m.ctrm");
    CtrModel v1 = ServerTestModels.model("ctr", 1, 1);
    Files.write(served, ServerTestModels.ctrm(v1));
    ModelRegistry registry = new ModelRegistry("ctr");
    ModelFiles.load(registry, served);
    ModelFileWatcher w = new ModelFileWatcher(registry, served, 1_000); // polled by hand here
    assertThat(w.poll()).as("unchanged").isFalse();

    CtrModel v2 = ServerTestModels.model("ctr", 2, 2);
    replace(ServerTestModels.ctrm(v2));
    assertThat(w.poll()).isTrue();
    assertThat(registry.current().version()).isEqualTo(2);
    assertThat(ServerTestModels.reference(registry.current().model(), Map.of("user", "u-1", "hour", 9.0),
        List.of(Map.of("ad", "a-1", "bid", 0.5), Map.of("ad", "a-2", "bid", 1.5)))).containsExactly(scores(v2));
    assertThat(w.poll()).as("seen already").isFalse();

    byte[] v3 = ServerTestModels.ctrm(ServerTestModels.model("ctr", 3, 3));
    replace(Arrays.copyOf(v3, v3.length / 2)); // truncated: a half-written file
    assertThat(w.poll()).isFalse();
    byte[] flipped = v3.clone();
    flipped[flipped.length / 2] ^= 0x10; // corrupt
    replace(flipped);
    assertThat(w.poll()).isFalse();
    assertThat(w.failures()).as("refused before the registry: not a loadable model").isEqualTo(2);
    replace(ServerTestModels.ctrm(v1)); // older
    assertThat(w.poll()).isFalse();
    replace(ServerTestModels.ctrm(ServerTestModels.model("ctr", 2, 9))); // same version, other weights
    assertThat(w.poll()).isFalse();
    assertThat(w.failures()).isEqualTo(4);
    assertThat(registry.current().version()).as("the served model never changed").isEqualTo(2);
    assertThat(scores(registry.current().model())).containsExactly(scores(v2));

    replace(v3);
    assertThat(w.poll()).isTrue();
    assertThat(registry.current().version()).isEqualTo(3);
    assertThat(w.loads()).isEqualTo(2);
    Files.delete(served);
    assertThat(w.poll()).as("a missing file keeps the model").isFalse();
    assertThat(registry.current().version()).isEqualTo(3);
  }

  @Test
  void shouldPickUpARenamedFileOnItsOwnThread() throws Exception {
    served = dir.resolve("m.ctrm");
    Files.write(served, ServerTestModels.ctrm(ServerTestModels.model("ctr", 1, 1)));
    ModelRegistry registry = new ModelRegistry("ctr");
    ModelFiles.load(registry, served);
    java.util.concurrent.CountDownLatch swapped = new java.util.concurrent.CountDownLatch(1);
    registry.addListener(new io.ctrstreams.serving.RegistryListener() {
      @Override
      public void onSwap(io.ctrstreams.serving.ServedModel previous, io.ctrstreams.serving.ServedModel current) {
        swapped.countDown();
      }
    });
    ModelFileWatcher w = new ModelFileWatcher(registry, served, 10).start();
    try {
      replace(ServerTestModels.ctrm(ServerTestModels.model("ctr", 5, 5)));
      assertThat(swapped.await(60, java.util.concurrent.TimeUnit.SECONDS)).as("swapped by the watcher's thread").isTrue();
    } finally {
      w.close(); // joins the watcher's thread: its count of the load is final after this
    }
    assertThat(registry.current().version()).isEqualTo(5);
    assertThat(w.loads()).isEqualTo(1);
  }
}
