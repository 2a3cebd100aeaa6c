package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ctr chaos} end to end on its cheap cases: a broker and topology instances in child JVMs
 * of this test JVM (surefire's class path), hostile JSON records and a kill -9 / restart of the
 * topology. The suite names its topics and application ids after a unique run id.
 */
@Tag("integration")
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ChaosCommandIT {

  @Test
  void shouldDeadLetterHostileAndMegabyteRecordsAndLoseNothingWhenTheTopologyIsKilled() {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int code;
    System.setOut(new PrintStream(new Tee(original, captured), true, StandardCharsets.UTF_8));
    try {
      code = Ctr.commandLine().execute("chaos", "--cases", "malformed-json,deep-nesting,poison-1mb,topology-kill9",
          "--impressions", "40", "--rate", "20");
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    List<String> lines = out.lines().toList();

    String kill = row(lines, "topology-kill9");
    assertThat(columns(kill)).startsWith("topology-kill9");
    assertThat(columns(kill)[2]).as("lost").isEqualTo("0");
    assertThat(columns(kill)[3]).as("duplicated").isEqualTo("0");
    assertThat(columns(kill)[4]).as("crashed").isEqualTo("no");
    assertThat(kill).contains(" s (all ").doesNotContain("never").contains("ok: restart-to-first-score");
    assertThat(Integer.parseInt(columns(kill)[1])).as("tried").isGreaterThanOrEqualTo(40);
    for (String c : List.of("malformed-json", "deep-nesting", "poison-1mb")) {
      String r = row(lines, c);
      assertThat(columns(r)[2]).as(c + " lost").isEqualTo("0");
      assertThat(columns(r)[3]).as(c + " duplicated").isEqualTo("0");
      assertThat(columns(r)[4]).as(c + " crashed").isEqualTo("no");
      assertThat(r).contains("ok: hostile record -> DLQ (");
    }
    assertThat(out).contains("4 case(s), 0 failed");
    assertThat(code).isZero();
    // every child JVM (broker, topology instances) is gone when the command returns
    assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList()).isEmpty();
  }

  /** The table row of case {@code name} (the line starting with it). */
  private static String row(List<String> lines, String name) {
    return lines.stream().filter(l -> l.startsWith(name + " ")).findFirst()
        .orElseThrow(() -> new AssertionError("no table row for " + name + " in:\n" + String.join("\n", lines)));
  }

  private static String[] columns(String row) {
    return row.trim().split("\\s+");
  }

  /** Writes to the console and into the capture, so a failing run leaves its progress in the log. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws java.io.IOException {
      a.write(x);
      b.write(x);
    }

    @Override
    public void write(byte[] buf, int off, int len) throws java.io.IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }
  }
}
