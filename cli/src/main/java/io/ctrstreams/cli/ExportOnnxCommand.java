package io.ctrstreams.cli;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.onnx.OnnxExport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ctr export-onnx}: writes a .ctrm model as an ONNX graph in the scorer's layout (stacked
 * embedding tables, the first layer's context part once per request) for ONNX Runtime, Triton or
 * KServe, and prints the graph's inputs.
 */
@Command(
    name = "export-onnx",
    mixinStandardHelpOptions = true,
    description = {
        "Export a .ctrm model (DNN, DeepFM or DCN-V2; dense, low-rank or folded) to ONNX (IR 8, opset 17).",
        "The graph scores one request: inputs context_index int64 [1, n] and context_value float [1, n] for the "
            + "CONTEXT fields, candidate_index int64 [N, n] and candidate_value float [N, n] for the CANDIDATE "
            + "fields (table rows of lookup fields, values of SCALED fields, in spec order; an input is absent "
            + "when it has no field); outputs logit and pctr float [N]. The field lists are also in the "
            + "model's metadata (<input>.fields)."})
public final class ExportOnnxCommand extends ToolCommand {
  @Option(names = "--model", required = true, description = "Model .ctrm file.")
  Path model;

  @Option(names = "--out", required = true, description = "ONNX file to write (replaced if it exists).")
  Path out;

  @Override
  void run(PrintWriter o, PrintWriter err) throws IOException {
    CtrModel m = CtrModel.fromFile(CtrmFormat.read(model));
    byte[] bytes = OnnxExport.toBytes(m);
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new IOException("directory of --out does not exist: " + parent);
    }
    Files.write(out, bytes);
    OnnxExport.Signature s = OnnxExport.Signature.of(m.spec());
    o.printf("wrote %s: model %s v%d (%s), %d bytes%n", out, m.name(), m.version(), m.spec().architecture(),
        bytes.length);
    input(o, m, OnnxExport.CONTEXT_INDEX, "int64 [1, %d]", s.contextIndex());
    input(o, m, OnnxExport.CONTEXT_VALUE, "float [1, %d]", s.contextValue());
    input(o, m, OnnxExport.CANDIDATE_INDEX, "int64 [N, %d]", s.candidateIndex());
    input(o, m, OnnxExport.CANDIDATE_VALUE, "float [N, %d]", s.candidateValue());
    o.printf("outputs: %s float [N], %s float [N]%n", OnnxExport.LOGIT, OnnxExport.PCTR);
    if (m.calibration().kind() != io.ctrstreams.model.Calibration.Kind.NONE) {
      o.printf("%s applies the model's calibration map: %s%n", OnnxExport.PCTR, m.calibration());
    }
  }

  private static void input(PrintWriter o, CtrModel m, String name, String type, int[] fields) {
    if (fields.length == 0) {
      return;
    }
    o.printf("input %s %s: %s%n", name, String.format(type, fields.length),
        String.join(",", Arrays.stream(fields).mapToObj(f -> m.spec().field(f).name()).toList()));
  }
}
