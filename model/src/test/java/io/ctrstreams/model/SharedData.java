package io.ctrstreams.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Finds the shared real-data samples: ../shared/data next to the project root, then CTR_DATA_DIR. */
final class SharedData {
  private SharedData() {}

  /** The sample file, or {@code null} when absent (tests then skip with a message). */
  static Path find(String file) {
    Path dir = Paths.get(System.getProperty("user.dir")).toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve(".ci"))) {
      dir = dir.getParent();
    }
    if (dir != null) {
      Path p = dir.resolve("../shared/data").resolve(file);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    String env = System.getenv("CTR_DATA_DIR");
    if (env != null && Files.isRegularFile(Paths.get(env, file))) {
      return Paths.get(env, file);
    }
    return null;
  }
}
