package io.ctrstreams.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The A/B harness on two copies of this JVM's class path (no speed is asserted). */
class JarAbBenchTest {
  @Test
  void shouldScoreEachSideInItsOwnClassLoaderAndReportTheRatio() throws Exception {
    String cp = System.getProperty("java.class.path");
    String report = JarAbBench.run(new String[] {cp, cp}, new String[] {"DNN:lowrank:16"}, 20, 3, 20);
    String line = report.lines().filter(l -> l.startsWith("DNN:lowrank:16")).findFirst().orElseThrow();
    assertThat(line).matches("DNN:lowrank:16\\s+\\d+ \\(\\s*[0-9.]+ B\\)\\s+\\d+ \\(\\s*[0-9.]+ B\\) B/A [0-9.]+");
    assertThat(line).doesNotContain(" 0 (");
  }

  @Test
  void shouldNameAMissingJarAndABadConfiguration() {
    assertThatThrownBy(
        () -> JarAbBench.run(new String[] {"/nonexistent/a.jar"}, new String[] {"DNN:lowrank:1"}, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/nonexistent/a.jar");
    String cp = System.getProperty("java.class.path");
    assertThatThrownBy(() -> JarAbBench.run(new String[] {cp}, new String[] {"DNN-lowrank"}, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DNN-lowrank");
  }
}
