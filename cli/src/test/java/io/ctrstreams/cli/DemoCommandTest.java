package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DemoCommandTest {

  @Test
  void shouldParseShortDurations() {
    DemoCommand.DurationConverter c = new DemoCommand.DurationConverter();
    assertThat(c.convert("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.convert("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(c.convert("PT45S")).isEqualTo(Duration.ofSeconds(45));
  }

  @Test
  void shouldRejectAMalformedDurationNamingIt() {
    assertThatThrownBy(() -> new DemoCommand.DurationConverter().convert("2 minutes"))
        .hasMessageContaining("found '2 minutes'");
  }

  @Test
  void shouldListDemoTrainerAndRecompressorWithHelp() {
    for (String cmd : new String[] {"demo", "trainer", "recompressor"}) {
      CommandLine cl = Ctr.commandLine();
      StringWriter sw = new StringWriter();
      cl.setOut(new PrintWriter(sw)); // propagates to every subcommand
      assertThat(cl.execute(cmd, "--help")).isZero();
      assertThat(sw.toString()).contains("Usage: ctr " + cmd);
    }
  }

  @Test
  void shouldExitWithUsageErrorOnBadOptionsWithoutStartingAnything() {
    CommandLine cl = Ctr.commandLine();
    cl.setErr(new PrintWriter(new StringWriter()));
    assertThat(cl.execute("demo", "--search", "annealing", "--duration", "1s")).isEqualTo(2);
  }
}
