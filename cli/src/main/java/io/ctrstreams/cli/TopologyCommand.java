package io.ctrstreams.cli;

import io.ctrstreams.broker.KafkaTopics;
import io.ctrstreams.topology.TopologyApp;
import io.ctrstreams.topology.TopologyConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
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

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers (default localhost:9092).")
  String bootstrapServers;

  @Option(names = "--config", paramLabel = "FILE", description = "A .properties file of topology / Kafka Streams settings.")
  Path configFile;

  @Option(names = "--metrics-port", paramLabel = "PORT", description = "Port of /metrics and /health/* (default 9400; 0 = free port).")
  Integer metricsPort;

  @Option(names = "--application-id", paramLabel = "ID", description = "Kafka Streams application id (default ctr-topology).")
  String applicationId;

  @Option(names = "--input-format", paramLabel = "avro|json|auto", description = "Wire format of impressions and clicks (default avro).")
  String inputFormat;

  @Option(names = "--model", paramLabel = "NAME", description = "Name of the live model on the models topic (default ctr).")
  String model;

  @Option(names = "--shadow-model", paramLabel = "NAME", description = "Optional shadow model scored alongside (variant=shadow).")
  String shadowModel;

  @Option(names = "--set", paramLabel = "NAME=VALUE", description = "Any setting, repeatable; wins over everything else.")
  Map<String, String> overrides = new HashMap<>();

  @Option(names = "--print-config-docs", description = "Print the settings reference (Markdown) and exit.")
  boolean printConfigDocs;

  @Override
  public Integer call() throws Exception {
    if (printConfigDocs) {
      System.out.print(TopologyConfig.toMarkdown());
      return 0;
    }
    Map<String, String> props = new HashMap<>();
    putIf(props, TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    putIf(props, TopologyConfig.METRICS_PORT_CONFIG, metricsPort == null ? null : metricsPort.toString());
    putIf(props, TopologyConfig.APPLICATION_ID_CONFIG, applicationId);
    putIf(props, TopologyConfig.INPUT_FORMAT_CONFIG, inputFormat);
    putIf(props, TopologyConfig.MODEL_NAME_CONFIG, model);
    putIf(props, TopologyConfig.SHADOW_MODEL_NAME_CONFIG, shadowModel);
    props.putAll(overrides);
    TopologyConfig config;
    try {
      config = TopologyConfig.load(configFile, props);
    } catch (ConfigException e) {
      System.err.println("ctr topology: " + e.getMessage());
      return 2;
    }
    if (config.createTopics()) {
      createTopics(config);
    }
    TopologyApp app = TopologyApp.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      app.close();
      stopped.countDown();
    }, "ctr-topology-shutdown"));
    System.out.println("ctr topology: scoring " + config.impressionsTopic() + " -> " + config.scoresTopic()
        + " with model '" + config.modelName() + "' from " + config.modelsTopic()
        + " (" + config.streamsProperties().get("processing.guarantee") + ")");
    if (app.metricsPort() > 0) {
      System.out.println("metrics: http://localhost:" + app.metricsPort() + "/metrics  health: /health/live /health/ready");
    }
    System.out.println("Ctrl-C to stop");
    System.out.flush();
    stopped.await();
    return 0;
  }

  private static void putIf(Map<String, String> m, String k, String v) {
    if (v != null) {
      m.put(k, v);
    }
  }

  /** Creates missing topics (models compacted, single partition: one ordered log per model). */
  static void createTopics(TopologyConfig c) {
    Map<String, Object> admin = new HashMap<>();
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, c.streamsProperties().get("bootstrap.servers"));
    Optional<Short> rf = Optional.of(c.topicReplicationFactor());
    int p = c.topicPartitions();
    List<NewTopic> topics = new ArrayList<>();
    for (String t : List.of(c.impressionsTopic(), c.clicksTopic(), c.scoresTopic(), c.labeledTopic(), c.dlqTopic())) {
      topics.add(new NewTopic(t, Optional.of(p), rf));
    }
    NewTopic models = KafkaTopics.compacted(c.modelsTopic(), 1);
    topics.add(new NewTopic(models.name(), Optional.of(1), rf).configs(models.configs()));
    try (Admin a = Admin.create(admin)) {
      KafkaTopics.ensure(a, topics);
    }
  }
}
