package io.ctrstreams.cli;

import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.topology.TopologyApp;
import io.ctrstreams.topology.TopologyConfig;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ctr topology}: runs the Kafka Streams scoring topology until Ctrl-C, with the Prometheus
 * endpoint and health probes. Settings come from {@code --config FILE} (a .properties file, see
 * docs/topology-config.md), then the dedicated options, then {@code --set NAME=VALUE} (last wins);
 * any Kafka Streams / client property passes through.
 */
@Command(
    name = "topology",
    mixinStandardHelpOptions = true,
    description = "Run the Kafka Streams scoring topology (scores, labels, DLQ, /metrics) until Ctrl-C.")
public final class TopologyCommand implements Callable<Integer> {

  @Mixin ConfigOptions config;

  @Option(names = "--metrics-port", paramLabel = "PORT", description = "Port of /metrics and /health/* (default 9400; 0 = free port; -1 = off).")
  Integer metricsPort;

  @Option(names = "--application-id", paramLabel = "ID", description = "Kafka Streams application id (default ctr-topology).")
  String applicationId;

  @Option(names = "--input-format", paramLabel = "avro|json|auto", description = "Wire format of impressions and clicks (default avro).")
  String inputFormat;

  @Option(names = "--model", paramLabel = "NAME", description = "Name of the live model on the models topic (default ctr).")
  String model;

  @Option(names = "--shadow-model", paramLabel = "NAME", description = "Optional shadow model scored alongside (variant=shadow).")
  String shadowModel;

  @Override
  public Integer call() throws Exception {
    if (config.printedDocs(TopologyConfig.toMarkdown())) {
      return 0;
    }
    TopologyConfig c = config.load(TopologyConfig::new, TopologyConfig.METRICS_PORT_CONFIG, metricsPort,
        TopologyConfig.APPLICATION_ID_CONFIG, applicationId, TopologyConfig.INPUT_FORMAT_CONFIG, inputFormat,
        TopologyConfig.MODEL_NAME_CONFIG, model, TopologyConfig.SHADOW_MODEL_NAME_CONFIG, shadowModel);
    if (c.createTopics()) {
      KafkaTopics.ensure(List.of(c));
    }
    TopologyApp app = TopologyApp.start(c);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      app.close();
      stopped.countDown();
    }, "ctr-topology-shutdown"));
    System.out.println("ctr topology: scoring " + c.impressionsTopic() + " -> " + c.scoresTopic()
        + " with model '" + c.modelName() + "' from " + c.modelsTopic()
        + " (" + c.streamsProperties().get("processing.guarantee") + ")");
    if (app.metricsPort() > 0) {
      System.out.println("metrics: http://localhost:" + app.metricsPort() + "/metrics  health: /health/live /health/ready");
    }
    System.out.println("Ctrl-C to stop");
    System.out.flush();
    stopped.await();
    return 0;
  }
}
