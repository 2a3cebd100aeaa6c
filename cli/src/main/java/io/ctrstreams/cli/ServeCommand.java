package io.ctrstreams.cli;

import io.ctrstreams.server.ModelFiles;
import io.ctrstreams.server.ServeApp;
import io.ctrstreams.server.ServeConfig;
import io.ctrstreams.server.ServerException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ctr serve}: request/response scoring over the Open Inference Protocol (REST) and {@code
 * POST /v1/models/{name}/score}, with {@code /metrics} on the same port, until Ctrl-C. {@code
 * --model m.ctrm} serves a file with no Kafka at all; without it the model is followed from the
 * models topic (hot swap, pin, shadow) and every served request is logged for the label join.
 * Settings: {@code --config FILE} (docs/serve-config.md), then the options, then {@code --set}.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Score requests over the Open Inference Protocol (REST /v2, gRPC) and /v1/models/{name}/score until Ctrl-C.")
public final class ServeCommand implements Callable<Integer> {

  @Option(names = "--model", paramLabel = "FILE",
      description = "A .ctrm model to serve with no Kafka. Without it: the model named --name on the models topic.")
  Path model;

  @Option(names = "--name", paramLabel = "NAME",
      description = "Model name in the URLs and on the models topic (default: the name the --model file declares, else ctr).")
  String name;

  @Option(names = "--shadow-model", paramLabel = "FILE", description = "With --model: a .ctrm shadow model scored alongside.")
  Path shadowModel;

  @Option(names = "--shadow-sample-rate", paramLabel = "RATE",
      description = "Fraction of requests the shadow scores, chosen by request id (default 1).")
  Double shadowSampleRate;

  @Option(names = "--host", description = "Address to bind (default 0.0.0.0).")
  String host;

  @Option(names = "--port", description = "REST port, 0 = a free port (default 8080).")
  Integer port;

  @Option(names = "--grpc-port", description = "gRPC port of the Open Inference Protocol, 0 = a free port, -1 = off (default 8081).")
  Integer grpcPort;

  @Option(names = "--threads", description = "Event-loop threads that parse and score (default: the core count).")
  Integer threads;

  @Option(names = "--transport", description = "REST transport: auto (native epoll where it loads, else NIO), epoll or nio (default auto).")
  String transport;

  @Option(names = "--max-request-bytes", description = "Largest request body, 413 above (default 524288).")
  Integer maxRequestBytes;

  @Option(names = "--max-candidates", description = "Most candidates per request, 413 above (default 1000).")
  Integer maxCandidates;

  @Mixin ConfigOptions options;

  @Override
  public Integer call() throws Exception {
    if (options.printedDocs(ServeConfig.toMarkdown())) {
      return 0;
    }
    ServeApp app;
    try {
      app = start();
    } catch (ServerException | IOException e) {
      System.err.println("ctr serve: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      app.close();
      stopped.countDown();
    }, "ctr-serve-shutdown"));
    String where = app.config().modelFile().map(Path::toString)
        .orElse(app.config().modelsTopic() + " (waiting for a model: /v2/health/ready answers 503 until then)");
    System.out.println("ctr serve: model '" + app.models().name() + "' from " + where + " on http://localhost:"
        + app.port() + (app.grpcPort() > 0 ? ", gRPC (inference.GRPCInferenceService) on port " + app.grpcPort() : "")
        + "  (Ctrl-C to stop)");
    System.out.println("  curl " + curlLine(app.port(), app.models().name()));
    System.out.flush();
    stopped.await();
    return 0;
  }

  /** Loads the settings and starts the app. */
  ServeApp start() throws IOException, InterruptedException {
    String modelName = name;
    if (modelName == null && model != null) {
      modelName = ModelFiles.modelName(model);
    }
    ServeConfig config = options.load(ServeConfig::new,
        ServeConfig.MODEL_FILE_CONFIG, model, ServeConfig.SHADOW_MODEL_FILE_CONFIG, shadowModel,
        ServeConfig.MODEL_NAME_CONFIG, modelName, ServeConfig.SHADOW_SAMPLE_RATE_CONFIG, shadowSampleRate,
        ServeConfig.HOST_CONFIG, host, ServeConfig.PORT_CONFIG, port, ServeConfig.GRPC_PORT_CONFIG, grpcPort, ServeConfig.THREADS_CONFIG, threads,
        ServeConfig.TRANSPORT_CONFIG, transport,
        ServeConfig.MAX_REQUEST_BYTES_CONFIG, maxRequestBytes, ServeConfig.MAX_CANDIDATES_CONFIG, maxCandidates);
    return ServeApp.start(config, new Ctr.Version().getVersion()[0]);
  }

  /** A ready-to-paste curl command line scoring two candidates with {@code model}'s fields left missing. */
  static String curlLine(int port, String model) {
    return "-s -X POST http://localhost:" + port + "/v1/models/" + model + "/score -H 'Content-Type: application/json'"
        + " -d '{\"eventId\":\"e-1\",\"context\":{},\"candidates\":[{\"adId\":\"ad-1\",\"features\":{}},"
        + "{\"adId\":\"ad-2\",\"features\":{}}]}'";
  }
}
