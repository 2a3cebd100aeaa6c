package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ChaosCommandTest {

  @Test
  void shouldListEveryCaseInHelp() {
    CommandLine cl = Ctr.commandLine();
    StringWriter sw = new StringWriter();
    cl.setOut(new PrintWriter(sw));
    assertThat(cl.execute("chaos", "--help")).isZero();
    assertThat(sw.toString()).contains("Usage: ctr chaos", "--cases", "--impressions", "topology-kill9", "broker-kill9",
        "failover", "poison-1mb", "malformed-json", "deep-nesting", "corrupt-model");
  }

  @Test
  void shouldRejectAnUnknownCaseWithoutStartingAnything() {
    PrintStreamCapture err = new PrintStreamCapture();
    int code;
    try {
      code = Ctr.commandLine().execute("chaos", "--cases", "topology-kill9,meteor");
    } finally {
      err.restore();
    }
    assertThat(code).isEqualTo(2);
    assertThat(err.text()).contains("unknown case 'meteor'");
    assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList()).isEmpty();
  }

  /** Captures System.err (the command reports bad settings there, like its siblings). */
  private static final class PrintStreamCapture {
    private final java.io.PrintStream original = System.err;
    private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();

    PrintStreamCapture() {
      System.setErr(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
    }

    void restore() {
      System.setErr(original);
    }

    String text() {
      return buf.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
