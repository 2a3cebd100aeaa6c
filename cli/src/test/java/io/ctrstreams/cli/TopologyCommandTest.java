package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.topology.TopologyConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TopologyCommandTest {
  private static String captureStdout(Runnable r) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      r.run();
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void shouldPrintConfigDocsGeneratedFromTheDefinitions() {
    int[] code = new int[1];
    String out = captureStdout(() -> code[0] = Ctr.commandLine().execute("topology", "--print-config-docs"));
    assertThat(code[0]).isZero();
    assertThat(out).isEqualTo(TopologyConfig.toMarkdown());
  }

  @Test
  void shouldShowHelpWithEveryOption() {
    CommandLine cl = Ctr.commandLine();
    StringWriter sw = new StringWriter();
    cl.setOut(new PrintWriter(sw));
    assertThat(cl.execute("topology", "--help")).isZero();
    assertThat(sw.toString()).contains("--bootstrap-servers", "--config", "--metrics-port", "--set", "--print-config-docs");
  }

  @Test
  void shouldRejectInvalidSettingsNamingThemBeforeConnecting() {
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = Ctr.commandLine().execute("topology", "--set", "input.max.candidates=0");
    } finally {
      System.setErr(old);
    }
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("input.max.candidates");
  }
}
