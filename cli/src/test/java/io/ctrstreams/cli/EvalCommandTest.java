package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class EvalCommandTest {

  private static int run(StringWriter out, StringWriter err, String... args) {
    CommandLine cl = Ctr.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  @Test
  void shouldScoreTheRequestedRowsOfTheSyntheticStream(@TempDir Path dir) throws Exception {
    Path model = CompressCommandTest.smallCriteoModel(dir);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertThat(run(out, err, "eval", "--model", model.toString(), "--format", "synthetic", "--seed", "3", "--from",
        "1000000", "--rows", "700")).as(err.toString()).isZero();
    assertThat(out.toString()).contains("before map:", "after map (none):", "rows=700");
  }

  @Test
  void shouldNameTheMissingDataFileAndABadRowRange(@TempDir Path dir) throws Exception {
    Path model = CompressCommandTest.smallCriteoModel(dir);
    StringWriter err = new StringWriter();
    assertThat(run(new StringWriter(), err, "eval", "--model", model.toString(), "--format", "criteo")).isNotZero();
    assertThat(err.toString()).contains("--data is required for format criteo");
    err = new StringWriter();
    assertThat(run(new StringWriter(), err, "eval", "--model", model.toString(), "--format", "synthetic", "--rows",
        "-5")).isNotZero();
    assertThat(err.toString()).contains("-5");
  }
}
