package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ExchangeExperimentCommandTest {

  @Test
  void shouldPrintHelpWithItsOptions() {
    CommandLine cl = Ctr.commandLine();
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out));
    assertThat(cl.execute("exchange-experiment", "--help")).isZero();
    assertThat(out.toString()).contains("--workers", "--algorithms", "--etas", "--partitioning", "--ratio",
        "--update", "--learning-rate", "--embedding-learning-rate", "measured:C", "--measured-eta-cap");
  }

  @Test
  void shouldRunMeasuredEtasAndNameThemInTheTable() {
    CommandLine cl = Ctr.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int rc = cl.execute("exchange-experiment", "--workers", "2", "--partitioning", "heterogeneous",
        "--algorithms", "econtrol", "--etas", "measured,measured:0.5", "--shift", "touched-rows", "--examples", "2048",
        "--eval-every", "1024", "--eval-rows", "500", "--batch", "128", "--hash-buckets", "50", "--mlp", "8");
    assertThat(rc).as(err.toString()).isZero();
    assertThat(out.toString()).contains("| 2 | heterogeneous | econtrol (touched-rows) | measured:1.0 | 2048 |",
        "| 2 | heterogeneous | econtrol (touched-rows) | measured:0.5 | 2048 |");
    assertThat(err.toString()).contains("eta=measured:0.5 examples=2048", "measured-eta tables=");
  }

  @Test
  void shouldRunATinyGridPrintingProgressAndOneRowPerConfiguration() {
    CommandLine cl = Ctr.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int rc = cl.execute("exchange-experiment", "--workers", "1,2", "--partitioning", "heterogeneous",
        "--algorithms", "uncompressed,econtrol", "--etas", "default,0.1", "--examples", "2048", "--eval-every", "1024",
        "--eval-rows", "500", "--batch", "128", "--hash-buckets", "50", "--mlp", "8");
    assertThat(rc).as(err.toString()).isZero();
    // 2 worker counts x (uncompressed + econtrol x 2 etas) rows after the two header lines
    assertThat(out.toString().lines().filter(l -> l.startsWith("| ")).count()).isEqualTo(1 + 6);
    assertThat(out.toString()).contains("| 2 | heterogeneous | econtrol | 0.1 | 2048 |", "| 1 | - | uncompressed | - | 2048 |");
    assertThat(err.toString()).contains("econtrol n=2 heterogeneous eta=0.1 examples=2048 logloss=");
  }

  @Test
  void shouldSendTheDenseTensorsWholeInInt8WhenAsked() {
    CommandLine cl = Ctr.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    String[] common = {"exchange-experiment", "--workers", "2", "--partitioning", "heterogeneous",
        "--algorithms", "econtrol", "--ratio", "0.04", "--dense-ratio", "1", "--examples", "1024",
        "--eval-every", "1024", "--eval-rows", "500", "--batch", "128", "--hash-buckets", "50", "--mlp", "8"};
    assertThat(cl.execute(common)).as(err.toString()).isZero();
    String[] withInt8 = java.util.Arrays.copyOf(common, common.length + 2);
    withInt8[common.length] = "--dense-values";
    withInt8[common.length + 1] = "int8";
    assertThat(cl.execute(withInt8)).as(err.toString()).isZero();
    List<String> rows = out.toString().lines().filter(l -> l.startsWith("| 2 |")).toList();
    assertThat(rows).hasSize(2);
    // bytes per round per worker: whole dense tensors in int8 (about 1 byte per value, no index) instead of
    // fp16 with a 4-byte index (6 bytes per value); the tables' part is the same
    double fp16 = Double.parseDouble(rows.get(0).split("\\|")[8].trim());
    double int8 = Double.parseDouble(rows.get(1).split("\\|")[8].trim());
    assertThat(int8).isLessThan(fp16 / 2);
  }

  @Test
  void shouldRunTheGridPerSeedAndSummarizeTheGapsToUncompressed() {
    CommandLine cl = Ctr.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int rc = cl.execute("exchange-experiment", "--workers", "2", "--partitioning", "heterogeneous",
        "--algorithms", "uncompressed,econtrol", "--seeds", "3-4", "--examples", "2048", "--eval-every", "2048",
        "--eval-rows", "500", "--batch", "128", "--hash-buckets", "50", "--mlp", "8");
    assertThat(rc).as(err.toString()).isZero();
    List<String> rows = out.toString().lines().filter(l -> l.startsWith("| ")).toList();
    // per-run table: header + 2 seeds x 2 algorithms; summary: header + 2 configurations
    assertThat(rows).hasSize(1 + 4 + 1 + 2);
    assertThat(rows.get(1)).startsWith("| 3 | 2 | heterogeneous | uncompressed | - | 2048 |");
    assertThat(rows.get(4)).startsWith("| 4 | 2 | heterogeneous | econtrol | k/d | 2048 |");
    assertThat(rows.get(5)).startsWith("| workers | partitioning | algorithm | eta | seeds |");
    assertThat(rows.get(7)).startsWith("| 2 | heterogeneous | econtrol | k/d | 2 |").contains(" ± ", " of 2 |");
    assertThat(err.toString()).contains("seed=3 econtrol n=2", "seed=4 uncompressed n=2");
    // the summary's gaps are the per-run rows' differences, seed by seed
    double[] ll = rows.subList(1, 5).stream().mapToDouble(r -> Double.parseDouble(r.split("\\|")[7].trim())).toArray();
    double mean = ((ll[1] - ll[0]) + (ll[3] - ll[2])) / 2;
    double summarized = Double.parseDouble(rows.get(7).split("\\|")[8].trim().split(" ")[0]);
    assertThat(summarized).isCloseTo(mean, org.assertj.core.data.Offset.offset(1.01e-5));
  }

  @Test
  void shouldRejectBadValuesNamingThem() {
    CommandLine cl = Ctr.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    assertThat(cl.execute("exchange-experiment", "--algorithms", "ef22")).isEqualTo(1);
    assertThat(err.toString()).contains("'ef22'");
    assertThat(cl.execute("exchange-experiment", "--etas", "big")).isEqualTo(1);
    assertThat(err.toString()).contains("'big'");
    assertThat(cl.execute("exchange-experiment", "--etas", "measured:1.5")).isEqualTo(1);
    assertThat(err.toString()).contains("C in (0, 1], found 'measured:1.5'");
    assertThat(cl.execute("exchange-experiment", "--etas", "measured:x")).isEqualTo(1);
    assertThat(err.toString()).contains("found 'measured:x'");
    assertThat(cl.execute("exchange-experiment", "--etas", "-0.2")).isEqualTo(1);
    assertThat(err.toString()).contains("found '-0.2'");
    assertThat(cl.execute("exchange-experiment", "--etas", "measured", "--measured-eta-cap", "0")).isEqualTo(1);
    assertThat(err.toString()).contains("--measured-eta-cap must be in (0, 1], found 0.0");
    assertThat(cl.execute("exchange-experiment", "--workers", "4", "--regions", "2")).isEqualTo(1);
    assertThat(err.toString()).contains("2 regions for 4 workers");
    assertThat(cl.execute("exchange-experiment", "--update", "sgd", "--learning-rate", "-0.5")).isEqualTo(1);
    assertThat(err.toString()).contains("learning rates must be finite and > 0, found -0.5");
    assertThat(cl.execute("exchange-experiment", "--dense-values", "int8")).isEqualTo(1);
    assertThat(err.toString()).contains("--dense-values int8 needs --dense-ratio 1 (the dense tensors sent whole), found NaN");
    assertThat(cl.execute("exchange-experiment", "--dense-values", "int4", "--dense-ratio", "1")).isEqualTo(1);
    assertThat(err.toString()).contains("--dense-values must be fp16, fp32 or int8, found 'int4'");
    assertThat(cl.execute("exchange-experiment", "--seeds", "1-x")).isEqualTo(1);
    assertThat(err.toString()).contains("--seeds must be seeds or ranges like 1-10, found '1-x'");
    assertThat(cl.execute("exchange-experiment", "--seeds", "1-3", "--target-gap", "-1")).isEqualTo(1);
    assertThat(err.toString()).contains("--target-gap must be a finite number >= 0, found -1.0");
  }
}
