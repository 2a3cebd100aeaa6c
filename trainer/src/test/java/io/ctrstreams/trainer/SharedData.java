package io.ctrstreams.trainer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Locates the real Criteo/Avazu samples: {@code ../shared/data} next to the project root (the
 * directory holding {@code .ci/}, found by walking up from user.dir), else $CTR_DATA_DIR. Tests
 * use it with an assumption so they skip with a message when the samples are absent.
 */
public final class SharedData {
  private SharedData() {}

  public static Optional<Path> file(String name) {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve(".ci"))) {
      dir = dir.getParent();
    }
    if (dir != null) {
      Path p = dir.resolve("../shared/data").resolve(name).normalize();
      if (Files.isRegularFile(p)) {
        return Optional.of(p);
      }
    }
    String env = System.getenv("CTR_DATA_DIR");
    if (env != null && Files.isRegularFile(Path.of(env, name))) {
      return Optional.of(Path.of(env, name));
    }
    return Optional.empty();
  }

  public static String missingMessage(String name) {
    return "skipped: real data sample " + name + " not found in ../shared/data or $CTR_DATA_DIR";
  }
}
