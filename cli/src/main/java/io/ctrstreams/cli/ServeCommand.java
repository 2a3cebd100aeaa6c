package io.ctrstreams.cli;

import io.ctrstreams.server.CtrServer;
import io.ctrstreams.server.ModelFiles;
import io.ctrstreams.server.ServedModels;
import io.ctrstreams.server.ServerException;
import io.ctrstreams.server.ServerMetrics;
import io.ctrstreams.serving.ModelRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ctr serve}: request/response scoring over the Open Inference Protocol (REST) and {@code
 * POST /v1/models/{name}/score}, with {@code /metrics} on the same port, until Ctrl-C. {@code
 * --model m.ctrm} serves a file with no Kafka at all.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Score requests over HTTP (Open Inference Protocol /v2 and /v1/models/{name}/score) until Ctrl-C.")
public final class ServeCommand implements Callable<Integer> {

  @Option(names = "--model", paramLabel = "FILE", required = true, description = "The .ctrm model to serve (no Kafka needed).")
  Path model;

  @Option(names = "--name", paramLabel = "NAME", description = "Model name in the URLs (default: the name the file declares).")
  String name;

  @Option(names = "--shadow-model", paramLabel = "FILE", description = "Optional .ctrm shadow model scored alongside (metrics only).")
  Path shadowModel;

  @Option(names = "--shadow-sample-rate", defaultValue = "1", paramLabel = "RATE",
      description = "Fraction of requests the shadow scores, chosen by request id (as the topology's shadow.sample.rate). Default: ${DEFAULT-VALUE}.")
  double shadowSampleRate;

  @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to bind. Default: ${DEFAULT-VALUE}.")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "REST port (0 = a free port). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--threads", description = "Event-loop threads that parse and score (default: the core count).")
  Integer threads;

  @Option(names = "--max-request-bytes", defaultValue = "524288", description = "Largest request body (413 above). Default: ${DEFAULT-VALUE}.")
  int maxRequestBytes;

  @Option(names = "--max-candidates", defaultValue = "1000", description = "Most candidates per request (413 above). Default: ${DEFAULT-VALUE}.")
  int maxCandidates;

  @Override
  public Integer call() throws Exception {
    CtrServer server;
    try {
      server = start();
    } catch (ServerException | IOException e) {
      System.err.println("ctr serve: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "ctr-serve-shutdown"));
    ServedModels m = server.models();
    System.out.println("ctr serve: model '" + m.name() + "' v" + m.live().current().version() + " on http://"
        + ("0.0.0.0".equals(host) ? "localhost" : host) + ":" + server.port() + "  (Ctrl-C to stop)");
    System.out.println("  curl " + curlLine(server.port(), m.name()));
    System.out.flush();
    stopped.await();
    return 0;
  }

  CtrServer start() throws IOException, InterruptedException {
    String modelName = name != null ? name : ModelFiles.modelName(model);
    ModelRegistry live = new ModelRegistry(modelName);
    ModelFiles.load(live, model);
    ModelRegistry shadow = null;
    if (shadowModel != null) {
      shadow = new ModelRegistry(modelName + "-shadow");
      ModelFiles.load(shadow, shadowModel);
    }
    ServedModels models = new ServedModels(live, shadow, shadowSampleRate);
    CtrServer.Builder b = CtrServer.builder(models, ServerMetrics.standard(models))
        .host(host).port(port).maxRequestBytes(maxRequestBytes).maxCandidates(maxCandidates)
        .version(String.valueOf(new Ctr.Version().getVersion()[0]));
    if (threads != null) {
      b.threads(threads);
    }
    return b.build().start();
  }

  /** A ready-to-paste curl command line scoring two candidates with {@code model}'s fields left missing. */
  static String curlLine(int port, String model) {
    return "-s -X POST http://localhost:" + port + "/v1/models/" + model + "/score -H 'Content-Type: application/json'"
        + " -d '{\"eventId\":\"e-1\",\"context\":{},\"candidates\":[{\"adId\":\"ad-1\",\"features\":{}},"
        + "{\"adId\":\"ad-2\",\"features\":{}}]}'";
  }
}
