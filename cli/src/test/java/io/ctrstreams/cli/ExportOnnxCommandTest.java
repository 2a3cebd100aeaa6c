package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.onnx.OnnxExport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ctr export-onnx} writes the exporter's bytes for the model file and lists the inputs
 * (ONNX Runtime runs those bytes in ctr-onnx's tests); bad arguments end with a message naming
 * them.
 */
class ExportOnnxCommandTest {
  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Ctr.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void shouldWriteTheExportedGraphAndListTheInputs(@TempDir Path dir) throws Exception {
    Path model = CompressCommandTest.smallCriteoModel(dir);
    Path out = dir.resolve("m.onnx");
    String[] r = run("export-onnx", "--model", model.toString(), "--out", out.toString());
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    CtrModel m = CtrModel.fromFile(CtrmFormat.read(model));
    assertThat(Files.readAllBytes(out)).isEqualTo(OnnxExport.toBytes(m));
    assertThat(r[1]).contains("model tiny-criteo v0 (DNN)",
        "input context_index int64 [1, 26]: I1,I2,I3,I4,I5,I6,I7,I8,I9,I10,I11,I12,I13,C1,",
        "input candidate_index int64 [N, 13]: C14,C15,", "outputs: logit float [N], pctr float [N]");
    assertThat(r[1]).doesNotContain("context_value", "candidate_value");
  }

  @Test
  void shouldSayWhenPctrAppliesACalibrationMap(@TempDir Path dir) throws Exception {
    Path model = CompressCommandTest.smallCriteoModel(dir);
    Path calibrated = dir.resolve("calibrated.ctrm");
    CtrmFormat.write(CtrmFormat.read(model).withCalibration(io.ctrstreams.model.Calibration.platt(0.75, -1.5)),
        calibrated);
    Path out = dir.resolve("c.onnx");
    String[] r = run("export-onnx", "--model", calibrated.toString(), "--out", out.toString());
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[1]).contains("pctr applies the model's calibration map: platt(a=0.750000, b=-1.50000)");
    assertThat(run("export-onnx", "--model", model.toString(), "--out", out.toString())[1])
        .doesNotContain("calibration");
  }

  @Test
  void shouldNameAMissingModelFile(@TempDir Path dir) {
    String[] r = run("export-onnx", "--model", dir.resolve("nope.ctrm").toString(), "--out",
        dir.resolve("m.onnx").toString());
    assertThat(r[0]).isEqualTo("1");
    assertThat(r[2]).startsWith("ctr export-onnx: ").contains("nope.ctrm");
    assertThat(dir.resolve("m.onnx")).doesNotExist();
  }

  @Test
  void shouldNameAMissingOutputDirectory(@TempDir Path dir) throws Exception {
    Path model = CompressCommandTest.smallCriteoModel(dir);
    String[] r = run("export-onnx", "--model", model.toString(), "--out", dir.resolve("no/such/m.onnx").toString());
    assertThat(r[0]).isEqualTo("1");
    assertThat(r[2]).contains("directory of --out does not exist", "no/such");
  }

  @Test
  void shouldPrintHelp() {
    String[] r = run("export-onnx", "--help");
    assertThat(r[0]).isEqualTo("0");
    assertThat(r[1]).contains("--model", "--out", "context_index");
  }
}
