package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ExchangeExperimentCommandTest {

  /** What one run of the command returned and printed. */
  private record Ran(int rc, String out, String err) {}

  private static Ran run(String... args) {
    CommandLine cl = Ctr.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int rc = cl.execute(args);
    return new Ran(rc, out.toString(), err.toString());
  }

  @Test
  void shouldPrintHelpWithItsOptions() {
    Ran r = run("exchange-experiment", "--help");
    assertThat(r.rc()).isZero();
    assertThat(r.out()).contains("--workers", "--algorithms", "--etas", "--partitioning", "--ratio",
        "--update", "--learning-rate", "--embedding-learning-rate", "measured:C", "--measured-eta-cap", "--seeds",
        "--dense-values");
  }

  @Test
  void shouldRunMeasuredEtasAndNameThemInTheTable() {
    Ran r = run("exchange-experiment", "--workers", "2", "--partitioning", "heterogeneous",
        "--algorithms", "econtrol", "--etas", "measured,measured:0.5", "--shift", "touched-rows", "--examples", "2048",
        "--eval-every", "1024", "--eval-rows", "500", "--batch", "128", "--hash-buckets", "50", "--mlp", "8");
    assertThat(r.rc()).as(r.err()).isZero();
    assertThat(r.out()).contains("| 2 | heterogeneous | econtrol (touched-rows) | measured:1.0 | 2048 |",
        "| 2 | heterogeneous | econtrol (touched-rows) | measured:0.5 | 2048 |");
    assertThat(r.err()).contains("eta=measured:0.5 examples=2048", "measured-eta tables=");
  }

  @Test
  void shouldRunATinyGridPrintingProgressAndOneRowPerConfiguration() {
    Ran r = run("exchange-experiment", "--workers", "1,2", "--partitioning", "heterogeneous",
        "--algorithms", "uncompressed,econtrol", "--etas", "default,0.1", "--examples", "2048", "--eval-every", "1024",
        "--eval-rows", "500", "--batch", "128", "--hash-buckets", "50", "--mlp", "8");
    assertThat(r.rc()).as(r.err()).isZero();
    // 2 worker counts x (uncompressed + econtrol x 2 etas) rows after the two header lines
    assertThat(r.out().lines().filter(l -> l.startsWith("| ")).count()).isEqualTo(1 + 6);
    assertThat(r.out()).contains("| 2 | heterogeneous | econtrol | 0.1 | 2048 |", "| 1 | - | uncompressed | - | 2048 |");
    assertThat(r.err()).contains("econtrol n=2 heterogeneous eta=0.1 examples=2048 logloss=");
  }

  @Test
  void shouldSendTheDenseTensorsWholeInInt8WhenAsked() {
    String[] common = {"exchange-experiment", "--workers", "2", "--partitioning", "heterogeneous",
        "--algorithms", "econtrol", "--ratio", "0.04", "--dense-ratio", "1", "--examples", "1024",
        "--eval-every", "1024", "--eval-rows", "500", "--batch", "128", "--hash-buckets", "50", "--mlp", "8"};
    Ran fp16 = run(common);
    assertThat(fp16.rc()).as(fp16.err()).isZero();
    String[] withInt8 = java.util.Arrays.copyOf(common, common.length + 2);
    withInt8[common.length] = "--dense-values";
    withInt8[common.length + 1] = "int8";
    Ran int8 = run(withInt8);
    assertThat(int8.rc()).as(int8.err()).isZero();
    // bytes per round per worker: whole dense tensors in int8 (about 1 byte per value, no index) instead of
    // fp16 with a 4-byte index (6 bytes per value); the tables' part is the same
    assertThat(bytesPerRound(int8.out())).isLessThan(bytesPerRound(fp16.out()) / 2);
  }

  private static double bytesPerRound(String out) {
    List<String> rows = out.lines().filter(l -> l.startsWith("| 2 |")).toList();
    assertThat(rows).hasSize(1);
    return Double.parseDouble(rows.get(0).split("\\|")[8].trim());
  }

  @Test
  void shouldRunTheGridPerSeedAndSummarizeTheGapsToUncompressed() {
    Ran r = run("exchange-experiment", "--workers", "2", "--partitioning", "heterogeneous",
        "--algorithms", "uncompressed,econtrol", "--seeds", "3-4", "--examples", "2048", "--eval-every", "2048",
        "--eval-rows", "500", "--batch", "128", "--hash-buckets", "50", "--mlp", "8");
    assertThat(r.rc()).as(r.err()).isZero();
    List<String> rows = r.out().lines().filter(l -> l.startsWith("| ")).toList();
    // per-run table: header + 2 seeds x 2 algorithms; summary: header + 2 configurations
    assertThat(rows).hasSize(1 + 4 + 1 + 2);
    assertThat(rows.get(1)).startsWith("| 3 | 2 | heterogeneous | uncompressed | - | 2048 |");
    assertThat(rows.get(4)).startsWith("| 4 | 2 | heterogeneous | econtrol | k/d | 2048 |");
    assertThat(rows.get(5)).startsWith("| workers | partitioning | algorithm | eta | seeds |");
    assertThat(rows.get(7)).startsWith("| 2 | heterogeneous | econtrol | k/d | 2 |").contains(" ± ", " of 2 |");
    assertThat(r.err()).contains("seed=3 econtrol n=2", "seed=4 uncompressed n=2");
    // the summary's gaps are the per-run rows' differences, seed by seed
    double[] ll = rows.subList(1, 5).stream().mapToDouble(row -> Double.parseDouble(row.split("\\|")[7].trim())).toArray();
    double mean = ((ll[1] - ll[0]) + (ll[3] - ll[2])) / 2;
    double summarized = Double.parseDouble(rows.get(7).split("\\|")[8].trim().split(" ")[0]);
    assertThat(summarized).isCloseTo(mean, org.assertj.core.data.Offset.offset(1.01e-5));
  }

  @Test
  void shouldRejectBadValuesNamingThem() {
    assertRejected("'ef22'", "exchange-experiment", "--algorithms", "ef22");
    assertRejected("'big'", "exchange-experiment", "--etas", "big");
    assertRejected("C in (0, 1], found 'measured:1.5'", "exchange-experiment", "--etas", "measured:1.5");
    assertRejected("found 'measured:x'", "exchange-experiment", "--etas", "measured:x");
    assertRejected("found '-0.2'", "exchange-experiment", "--etas", "-0.2");
    assertRejected("--measured-eta-cap must be in (0, 1], found 0.0", "exchange-experiment", "--etas", "measured", "--measured-eta-cap", "0");
    assertRejected("2 regions for 4 workers", "exchange-experiment", "--workers", "4", "--regions", "2");
    assertRejected("learning rates must be finite and > 0, found -0.5", "exchange-experiment", "--update", "sgd", "--learning-rate", "-0.5");
    assertRejected("--dense-values int8 needs --dense-ratio 1 (the dense tensors sent whole), found NaN", "exchange-experiment", "--dense-values", "int8");
    assertRejected("--dense-values must be fp16, fp32 or int8, found 'int4'", "exchange-experiment", "--dense-values", "int4", "--dense-ratio", "1");
    assertRejected("--seeds must be seeds or ranges like 1-10, found '1-x'", "exchange-experiment", "--seeds", "1-x");
    assertRejected("--target-gap must be a finite number >= 0, found -1.0", "exchange-experiment", "--seeds", "1-3", "--target-gap", "-1");
  }

  private static void assertRejected(String message, String... args) {
    Ran r = run(args);
    assertThat(r.rc()).as(String.join(" ", args)).isEqualTo(1);
    assertThat(r.err()).contains(message);
  }
}
