package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BenchScoreCommandTest {

  @Test
  void shouldPrintHelpWithItsOptions() {
    CommandLine cl = Ctr.commandLine();
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out));
    assertThat(cl.execute("bench-score", "--help")).isZero();
    assertThat(out.toString()).contains("--quick", "--full", "--arch", "--batch", "FMA peak");
  }

  @Test
  void shouldRejectUnknownArchitectureAndBadBatchWithoutRunning() {
    assertThat(Ctr.commandLine().execute("bench-score", "--arch=RNN")).isEqualTo(2);
    assertThat(Ctr.commandLine().execute("bench-score", "--batch=0")).isEqualTo(2);
  }

  @Test
  void shouldRejectQuickTogetherWithFull() {
    CommandLine cl = Ctr.commandLine();
    cl.setErr(new PrintWriter(new StringWriter()));
    assertThat(cl.execute("bench-score", "--quick", "--full")).isNotZero();
  }

  @Test
  void shouldExplainHowToRunThePeerBenchmarkWhenTheBenchmarksJarIsMissing(@TempDir Path dir) {
    CommandLine cl = Ctr.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    assertThat(cl.execute("bench-score", "--peer", "--bench-jar", dir.resolve("none.jar").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("benchmarks jar not found at", "none.jar", "benchmark-only dependency",
        "io.ctrstreams.bench.PeerBench");
  }

  /**
   * The peer benchmark from the benchmarks jar that {@code mvn verify} has built by now (ctr-bench
   * comes before ctr-cli), with minimal rounds: both sides and the ratio are printed (no speed is
   * asserted).
   */
  @Test
  void shouldRunThePeerBenchmarkInAChildJvm() {
    Path jar = Path.of("..", "bench", "target", "benchmarks.jar");
    assertThat(jar).as("ctr-bench's shaded jar (mvn verify packages it before the cli's tests)").isRegularFile();
    CommandLine cl = Ctr.commandLine();
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(new StringWriter()));
    int code = cl.execute("bench-score", "--peer", "--arch", "DNN", "--batch", "2", "--round-ms", "2", "--rounds", "1",
        "--warmup-ms", "0", "--bench-jar", jar.toString());
    assertThat(code).as(out.toString()).isZero();
    assertThat(out.toString()).contains("ORT/scorer", "ONNX Runtime 1.23.2").containsPattern("DNN\\s+dense\\s+2\\s")
        .containsPattern("DNN\\s+lowrank\\s+2\\s");
  }
}
