package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's {@code --help} renders as written: picocli formats descriptions with
 * {@link String#format}, so a bare {@code %} (say "20% of the impressions") makes it print a
 * warning and the raw string instead of the text.
 */
class HelpTextTest {

  @Test
  void shouldRenderEveryCommandsHelpWithoutPicocliWarnings() {
    List<String> rendered = new ArrayList<>();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      render(Ctr.commandLine(), rendered);
    } finally {
      System.setErr(saved);
    }
    assertThat(rendered).as("commands rendered").contains("ctr demo", "ctr serve", "ctr trainer", "ctr exchange-experiment");
    assertThat(err.toString(StandardCharsets.UTF_8)).as("picocli's warnings while rendering help").doesNotContain("WARN");
  }

  private static void render(CommandLine cl, List<String> rendered) {
    String usage = cl.getUsageMessage();
    assertThat(usage).contains("Usage: " + cl.getCommandSpec().qualifiedName());
    rendered.add(cl.getCommandSpec().qualifiedName());
    for (CommandLine sub : cl.getSubcommands().values()) {
      if (sub.getCommandSpec().parent() == cl.getCommandSpec()) {
        render(sub, rendered);
      }
    }
  }
}
