package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --format libfm} through {@code ctr train}, {@code ctr eval} and {@code ctr compress}, and a bad line's message. */
class LibfmFormatTest {

  private static String libfm(long seed, int rows, boolean fieldAware) {
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < rows; i++) {
      int a = r.nextInt(20);
      int b = r.nextInt(10);
      boolean click = (a % 2 == 0) ^ (b < 5) ^ (r.nextDouble() < 0.05);
      sb.append(click ? "1" : "-1");
      sb.append(fieldAware ? " 0:" + a + ":1 1:" + b + ":1" : " " + a + ":1 " + b + ":1").append('\n');
    }
    return sb.toString();
  }

  private static int run(StringWriter out, StringWriter err, String... args) {
    CommandLine cl = Ctr.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  @Test
  void shouldTrainAndEvaluateOnLibfmFiles(@TempDir Path dir) throws IOException {
    for (boolean aware : new boolean[] {true, false}) {
      Path train = dir.resolve("train-" + aware + ".libfm");
      Path test = dir.resolve("test-" + aware + ".libfm");
      Files.writeString(train, libfm(1, 3000, aware));
      Files.writeString(test, libfm(2, 1000, aware));
      Path model = dir.resolve("m-" + aware + ".ctrm");
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      assertThat(run(out, err, "train", "--data", train.toString(), "--format", "libfm", "--arch", "dnn", "--out",
          model.toString(), "--embedding-dim", "8", "--mlp", "32,16", "--epochs", "3", "--min-count", "1",
          "--batch-size", "64", "--lr", "0.01", "--embedding-lr", "0.1", "--gemm", "java")).as(err.toString()).isZero();
      out = new StringWriter();
      assertThat(run(out, err, "eval", "--model", model.toString(), "--data", test.toString(), "--format", "libfm"))
          .as(err.toString()).isZero();
      String line = out.toString().lines().filter(l -> l.startsWith("auc=")).findFirst().orElseThrow();
      double auc = Double.parseDouble(line.substring(4, line.indexOf(' ')));
      assertThat(auc).as(line).isGreaterThan(0.85);
      // --from / --rows pick a row range of a file
      out = new StringWriter();
      assertThat(run(out, err, "eval", "--model", model.toString(), "--data", test.toString(), "--format", "libfm",
          "--from", "900", "--rows", "50")).as(err.toString()).isZero();
      assertThat(out.toString()).contains("rows=50");
      out = new StringWriter();
      assertThat(run(out, err, "eval", "--model", model.toString(), "--data", test.toString(), "--format", "libfm",
          "--from", "900")).as(err.toString()).isZero();
      assertThat(out.toString()).contains("rows=100");
      // and compressed with libfm calibration and gate rows
      Path small = dir.resolve("c-" + aware + ".ctrm");
      out = new StringWriter();
      int code = run(out, err, "compress", "--model", model.toString(), "--calibration", train.toString(), "--valid",
          test.toString(), "--format", "libfm", "--ratio", "2", "--out", small.toString(), "--force");
      assertThat(code).as("0 = gate passed, 2 = rejected but written (--force); " + err).isIn(0, 2);
      assertThat(small).exists();
      io.ctrstreams.model.CtrModel c = io.ctrstreams.model.CtrModel.fromFile(
          io.ctrstreams.model.format.CtrmFormat.read(small));
      assertThat(c.spec().fieldCount()).isEqualTo(2);
      assertThat(Files.size(small)).isLessThan(Files.size(model));
    }
  }

  @Test
  void shouldNameTheBadLineOfALibfmFile(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("bad.libfm");
    Files.writeString(f, "1 3:1 4:1\n-1 3:1 4:1\n2 3:1 4:1\n");
    StringWriter err = new StringWriter();
    assertThat(run(new StringWriter(), err, "train", "--data", f.toString(), "--format", "libfm", "--arch", "dnn",
        "--out", dir.resolve("m.ctrm").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("libfm line 3 label must be 1/+1 or 0/-1, found \"2\"");
  }
}
