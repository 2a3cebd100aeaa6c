package io.ctrstreams.cli;

import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.topology.TopologyApp;
import io.ctrstreams.topology.TopologyConfig;
import java.util.List;
import java.util.concurrent.Callable;
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

  @Option(names = "--application-id", paramLabel = "ID", description = "Kafka Streams application id (default ctr-topology).")
  String applicationId;

  @Option(names = "--input-format", paramLabel = "avro|json|auto", description = "Wire format of impressions and clicks (default avro).")
  String inputFormat;

  @Option(names = "--model", paramLabel = "NAME", description = "Name of the live model on the models topic (default ctr).")
  String model;

  @Option(names = "--shadow-model", paramLabel = "NAME", description = "Optional shadow model scored alongside (variant=shadow).")
  String shadowModel;

  @Mixin ServiceOptions options;

  @Override
  public Integer call() throws Exception {
    if (options.printedDocs(TopologyConfig.toMarkdown())) {
      return 0;
    }
    TopologyConfig config = options.load(TopologyConfig::new, TopologyConfig.APPLICATION_ID_CONFIG, applicationId,
        TopologyConfig.INPUT_FORMAT_CONFIG, inputFormat, TopologyConfig.MODEL_NAME_CONFIG, model,
        TopologyConfig.SHADOW_MODEL_NAME_CONFIG, shadowModel);
    if (config.createTopics()) {
      KafkaTopics.ensure(List.of(config));
    }
    TopologyApp app = TopologyApp.start(config);
    options.untilCtrlC(app, null, "ctr topology: scoring " + config.impressionsTopic() + " -> "
        + config.scoresTopic() + " with model '" + config.modelName() + "' from " + config.modelsTopic() + " ("
        + config.streamsProperties().get("processing.guarantee") + ")" + (app.metricsPort() > 0
            ? "\nmetrics: http://localhost:" + app.metricsPort() + "/metrics  health: /health/live /health/ready" : ""));
    return 0;
  }
}
