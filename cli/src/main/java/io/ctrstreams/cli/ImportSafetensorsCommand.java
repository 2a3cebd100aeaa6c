package io.ctrstreams.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.trainer.safetensors.SafetensorsFile;
import io.ctrstreams.trainer.safetensors.SafetensorsImporter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ctr import-safetensors}: PyTorch weights + a ModelSpec JSON -> .ctrm. */
@Command(
    name = "import-safetensors",
    mixinStandardHelpOptions = true,
    description = "Import PyTorch safetensors weights into a .ctrm model of the given spec.")
public final class ImportSafetensorsCommand extends ToolCommand {
  @Option(names = "--spec", required = true, description = "ModelSpec JSON file.")
  Path specFile;

  @Option(names = "--weights", required = true, description = "The .safetensors file.")
  Path weights;

  @Option(names = "--out", required = true, description = "Output .ctrm file.")
  Path out;

  @Option(names = "--mapping", description = "JSON object: model tensor name -> safetensors tensor name. "
      + "Default: same name, or with '/' as '.'.")
  Path mapping;

  @Option(names = "--vocab", description = "JSON object: field -> array of values. Default: __metadata__ vocab/<field>.")
  Path vocab;

  @Option(names = "--name", description = "Model name. Default: the spec's name.")
  String name;

  @Option(names = "--model-version", defaultValue = "1", description = "Model version. Default: ${DEFAULT-VALUE}.")
  long version;

  @Override
  void run(PrintWriter out, PrintWriter err) throws IOException {
    ObjectMapper om = new ObjectMapper();
    ModelSpec ms = ModelSpec.fromJson(Files.readString(specFile, StandardCharsets.UTF_8));
    Map<String, String> map = mapping == null ? Map.of()
        : om.readValue(mapping.toFile(), new TypeReference<Map<String, String>>() {});
    Map<String, List<String>> v = vocab == null ? null
        : om.readValue(vocab.toFile(), new TypeReference<Map<String, List<String>>>() {});
    SafetensorsImporter.Result r = SafetensorsImporter.importModel(ms, SafetensorsFile.read(weights), map, v,
        name == null ? ms.name() : name, version);
    CtrmFormat.write(r.model().toFile(), this.out);
    if (!r.unused().isEmpty()) {
      err.println("ctr import-safetensors: ignored " + r.unused().size() + " unused tensors: " + r.unused());
    }
    out.println("imported " + r.model().name() + " params=" + r.model().parameterCount() + " to " + this.out);
  }
}
