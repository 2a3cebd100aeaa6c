package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;

/**
 * An OS tool a test runs (promtool, prometheus, chromium, kubectl): {@code .ci/run} installs them
 * and sets a {@code CTR_REQUIRE_*} variable, so in CI a missing tool fails the test; elsewhere the
 * test says what it did not check and stops there.
 */
public final class ExternalTool {
  private ExternalTool() {}

  /** The first of {@code names} found as an executable on the PATH, or null. */
  public static File onPath(String... names) {
    for (String name : names) {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        File f = new File(dir, name);
        if (f.canExecute()) {
          return f;
        }
      }
    }
    return null;
  }

  /**
   * The tool; null when it is missing and {@code requireVariable} is not set.
   *
   * @throws AssertionError when it is missing and {@code requireVariable} is set
   */
  public static File find(String requireVariable, String... names) {
    File f = onPath(names);
    if (f == null) {
      assertThat(System.getenv(requireVariable)).as(names[0] + " is not installed, and " + requireVariable + " is set")
          .isNull();
    }
    return f;
  }
}
