package io.ctrstreams.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.server.ServeApp;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ctr serve --model FILE}: serves the file's model; the printed curl line scores. */
class ServeCommandTest {
  @TempDir Path dir;

  @Test
  void shouldServeAModelFileAndScoreThePrintedCurlRequest() throws Exception {
    ModelSpec spec = ModelSpec.builder().name("tiny").architecture(Architecture.DNN)
        .field(FieldSpec.categorical("user", FieldSpec.Role.CONTEXT, 0, 16, 4))
        .field(FieldSpec.categorical("ad", FieldSpec.Role.CANDIDATE, 0, 16, 4))
        .mlp(4).build();
    Path file = dir.resolve("tiny.ctrm");
    Files.write(file, CtrmFormat.toBytes(CtrModel.random(spec, 3).withVersion(5).toFile()));
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs("--model", file.toString(), "--port", "0", "--threads", "1", "--host", "127.0.0.1",
        "--set", "server.grpc.port=-1");
    try (ServeApp server = cmd.start()) {
      String curl = ServeCommand.curlLine(server.port(), "tiny");
      String body = curl.substring(curl.indexOf("-d '") + 4, curl.length() - 1);
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/models/tiny/score"))
              .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).startsWith("{\"model\":\"tiny\",\"version\":5,\"scores\":[{\"adId\":\"ad-1\",\"pctr\":");
    }
  }

  @Test
  void shouldPrintHelp() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CommandLine cl = Ctr.commandLine();
    cl.setOut(new PrintWriter(out, true));
    assertThat(cl.execute("serve", "--help")).isZero();
    assertThat(out.toString()).contains("--model", "--max-candidates", "--shadow-sample-rate", "--config");
  }
}
