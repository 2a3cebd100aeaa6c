package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressCommandTest {

  /** A small model with the Criteo/synthetic schema (I1..I13, C1..C26), hashed categories. */
  static Path smallCriteoModel(Path dir) throws Exception {
    ModelSpec.Builder b = ModelSpec.builder().name("tiny-criteo").architecture(Architecture.DNN);
    for (int i = 1; i <= 13; i++) {
      b.field(FieldSpec.logBucket("I" + i, FieldSpec.Role.CONTEXT, 32, 8));
    }
    for (int i = 1; i <= 26; i++) {
      b.field(FieldSpec.categorical("C" + i, i <= 13 ? FieldSpec.Role.CONTEXT : FieldSpec.Role.CANDIDATE, 0, 200, 8));
    }
    b.mlp(64, 32);
    Path p = dir.resolve("full.ctrm");
    CtrmFormat.write(CtrModel.random(b.build(), 5).toFile(), p);
    return p;
  }

  static String[] run(String... args) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = Ctr.commandLine().execute(args);
    } finally {
      System.setOut(old);
    }
    return new String[] {Integer.toString(code), buf.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void shouldCompressPrintTheReportAndWriteASmallerFile(@TempDir Path dir) throws Exception {
    Path full = smallCriteoModel(dir);
    Path out = dir.resolve("small.ctrm");
    String[] r = run("compress", "--model", full.toString(), "--format", "synthetic", "--ratio", "3", "--rows", "3000",
        "--valid-rows", "2000", "--distill-steps", "20",
        "--max-auc-drop", "1", "--max-logloss-rise", "1", "--out", out.toString());
    assertThat(r[0]).as(r[1]).isEqualTo("0");
    assertThat(r[1]).contains("layer", "bytes before=", "ratio=", "flops before=", "uniform", "dp", "ga",
        "<- chosen", "distillation: 20 steps", "verdict: PASS");
    assertThat(Files.size(out) * 3).isLessThanOrEqualTo(Files.size(full) + 3 * 4096);
    assertThat(CtrModel.fromFile(CtrmFormat.read(out)).metadata()).containsKey("compressed-from");
  }

  @Test
  void shouldRefitTheStudentsOwnCalibrationMapOfTheTeachersKind(@TempDir Path dir) throws Exception {
    // a teacher whose map is far off (a random model's logits shifted by +2): the student gets
    // its own Platt map, fitted on the labelled calibration rows, not the teacher's
    Path plain = smallCriteoModel(dir);
    CtrModel t = CtrModel.fromFile(CtrmFormat.read(plain))
        .withCalibration(io.ctrstreams.model.Calibration.platt(1.0, 2.0));
    Path full = dir.resolve("mapped.ctrm");
    CtrmFormat.write(t.toFile(), full);
    Path out = dir.resolve("small.ctrm");
    String[] r = run("compress", "--model", full.toString(), "--format", "synthetic", "--ratio", "3", "--rows", "3000",
        "--valid-rows", "2000", "--distill-steps", "0", "--search", "uniform",
        "--max-auc-drop", "1", "--max-logloss-rise", "1", "--out", out.toString());
    assertThat(r[0]).as(r[1]).isEqualTo("0");
    assertThat(r[1]).contains("student calibration map: platt");
    io.ctrstreams.model.Calibration c = CtrModel.fromFile(CtrmFormat.read(out)).calibration();
    assertThat(c.kind()).isEqualTo(io.ctrstreams.model.Calibration.Kind.PLATT);
    assertThat(c).isNotEqualTo(t.calibration());
    // the gate compares served pCTRs: the teacher's +2 shift shows as a calibration far above 1
    assertThat(r[1]).containsPattern("calibration \\(p/y\\) +[2-9]\\.");
  }

  @Test
  void shouldExitWithTwoAndWriteNothingWhenTheGateRejects(@TempDir Path dir) throws Exception {
    Path full = smallCriteoModel(dir);
    Path out = dir.resolve("small.ctrm");
    String[] r = run("compress", "--model", full.toString(), "--format", "synthetic", "--budget", "40KB",
        "--search", "dp", "--method", "svd", "--rows", "2000",
        "--valid-rows", "1000", "--distill-steps", "0", "--max-logit-diff", "0", "--out", out.toString());
    assertThat(r[0]).as(r[1]).isEqualTo("2");
    assertThat(r[1]).contains("verdict: REJECT", "max mean |logit diff|", "not written");
    assertThat(out).doesNotExist();
  }
}
