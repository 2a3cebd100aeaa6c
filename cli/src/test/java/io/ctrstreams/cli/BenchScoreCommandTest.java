package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
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
}
