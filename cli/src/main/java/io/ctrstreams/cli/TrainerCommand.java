package io.ctrstreams.cli;

import io.ctrstreams.broker.KafkaTopics;
import io.ctrstreams.trainer.online.OnlineTrainer;
import io.ctrstreams.trainer.online.OnlineTrainerConfig;
import io.ctrstreams.trainer.online.OnlineTrainers;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ctr trainer}: trains continuously on the labeled topic (or the synthetic stream) and
 * publishes full snapshots to model-updates, until Ctrl-C.
 */
@Command(
    name = "trainer",
    mixinStandardHelpOptions = true,
    description = "Train online on the labeled topic (or the synthetic stream); publish full snapshots to model-updates.")
public final class TrainerCommand implements Callable<Integer> {

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers (default localhost:9092).")
  String bootstrapServers;

  @Option(names = "--config", paramLabel = "FILE", description = "A .properties file of trainer / Kafka client settings.")
  Path configFile;

  @Option(names = "--source", paramLabel = "labeled|synthetic", description = "Training data (default labeled).")
  String source;

  @Option(names = "--snapshot-interval", paramLabel = "SECONDS", description = "Publish a snapshot this often (default 20).")
  Long snapshotSeconds;

  @Option(names = "--metrics-port", paramLabel = "PORT", description = "Port of /metrics (default 9402; 0 = free port; -1 = off).")
  Integer metricsPort;

  @Option(names = "--set", paramLabel = "NAME=VALUE", description = "Any setting, repeatable; wins over everything else.")
  Map<String, String> overrides = new HashMap<>();

  @Option(names = "--create-topics", description = "Create the model-updates topic (compacted) if missing.")
  boolean createTopics;

  @Override
  public Integer call() throws Exception {
    Map<String, String> props = new HashMap<>();
    if (bootstrapServers != null) {
      props.put(OnlineTrainerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    }
    if (source != null) {
      props.put(OnlineTrainerConfig.SOURCE_CONFIG, source);
    }
    if (snapshotSeconds != null) {
      props.put(OnlineTrainerConfig.SNAPSHOT_INTERVAL_MS_CONFIG, Long.toString(snapshotSeconds * 1000));
    }
    if (metricsPort != null) {
      props.put(OnlineTrainerConfig.METRICS_PORT_CONFIG, metricsPort.toString());
    }
    props.putAll(overrides);
    OnlineTrainerConfig config;
    try {
      config = OnlineTrainerConfig.load(configFile, props);
    } catch (ConfigException e) {
      System.err.println("ctr trainer: " + e.getMessage());
      return 2;
    }
    if (createTopics) {
      try (Admin a = Admin.create(config.clientProperties())) {
        KafkaTopics.ensure(a, List.of(KafkaTopics.compacted(config.modelUpdatesTopic(), 1)));
      }
    }
    PrometheusRegistry registry = new PrometheusRegistry();
    OnlineTrainer trainer = OnlineTrainers.backprop(config, registry);
    HTTPServer http = config.metricsPort() >= 0
        ? HTTPServer.builder().port(config.metricsPort()).registry(registry).buildAndStart() : null;
    trainer.addListener((v, ex, loss, bytes) -> System.out.printf(Locale.ROOT,
        "snapshot %s v%d: %d examples, loss %.4f, %d bytes%n", config.modelName(), v, ex, loss, bytes));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      trainer.close();
      if (http != null) {
        http.close();
      }
      stopped.countDown();
    }, "ctr-trainer-shutdown"));
    trainer.start();
    System.out.println("ctr trainer: " + (config.syntheticSource() ? "synthetic stream" : config.labeledTopic())
        + " -> " + config.modelUpdatesTopic() + " (" + config.modelName() + ")");
    if (http != null) {
      System.out.println("metrics: http://localhost:" + http.getPort() + "/metrics");
    }
    System.out.println("Ctrl-C to stop");
    System.out.flush();
    stopped.await();
    return trainer.failure() == null ? 0 : 1;
  }
}
