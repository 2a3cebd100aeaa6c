package io.ctrstreams.cli;

import io.ctrstreams.broker.KafkaTopics;
import io.ctrstreams.recompressor.service.CompressorPipeline;
import io.ctrstreams.recompressor.service.RecompressorConfig;
import io.ctrstreams.recompressor.service.RecompressorService;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ctr recompressor}: the streaming recompressor until Ctrl-C. Settings from
 * {@code --config FILE}, then the options, then {@code --set NAME=VALUE}; other properties pass
 * through to the Kafka clients.
 */
@Command(
    name = "recompressor",
    mixinStandardHelpOptions = true,
    description = "Compress every new full snapshot from model-updates, gate it, publish it to the models topic.")
public final class RecompressorCommand implements Callable<Integer> {

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers (default localhost:9092).")
  String bootstrapServers;

  @Option(names = "--config", paramLabel = "FILE", description = "A .properties file of recompressor / Kafka client settings.")
  Path configFile;

  @Option(names = "--state-dir", paramLabel = "DIR", description = "RocksDB state directory (kept across restarts).")
  Path stateDir;

  @Option(names = "--metrics-port", paramLabel = "PORT", description = "Port of /metrics (default 9401; 0 = free port; -1 = off).")
  Integer metricsPort;

  @Option(names = "--set", paramLabel = "NAME=VALUE", description = "Any setting, repeatable; wins over everything else.")
  Map<String, String> overrides = new HashMap<>();

  @Option(names = "--create-topics", description = "Create missing topics (model-updates and models compacted).")
  boolean createTopics;

  @Option(names = "--print-config-docs", description = "Print the settings reference (Markdown) and exit.")
  boolean printConfigDocs;

  @Override
  public Integer call() throws Exception {
    if (printConfigDocs) {
      System.out.print(RecompressorConfig.toMarkdown());
      return 0;
    }
    Map<String, String> props = new HashMap<>();
    if (bootstrapServers != null) {
      props.put(RecompressorConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    }
    if (stateDir != null) {
      props.put(RecompressorConfig.STATE_DIR_CONFIG, stateDir.toString());
    }
    if (metricsPort != null) {
      props.put(RecompressorConfig.METRICS_PORT_CONFIG, metricsPort.toString());
    }
    props.putAll(overrides);
    RecompressorConfig config;
    try {
      config = RecompressorConfig.load(configFile, props);
    } catch (ConfigException e) {
      System.err.println("ctr recompressor: " + e.getMessage());
      return 2;
    }
    if (createTopics) {
      try (Admin a = Admin.create(config.clientProperties())) {
        KafkaTopics.ensure(a, List.of(KafkaTopics.compacted(config.modelUpdatesTopic(), 1),
            KafkaTopics.compacted(config.modelsTopic(), 1), KafkaTopics.plain(config.impressionsTopic(), 1),
            KafkaTopics.plain(config.labeledTopic(), 1)));
      }
    }
    PrometheusRegistry registry = new PrometheusRegistry();
    RecompressorService service = new RecompressorService(config, CompressorPipeline.fromConfig(config), registry);
    HTTPServer http = config.metricsPort() >= 0
        ? HTTPServer.builder().port(config.metricsPort()).registry(registry).buildAndStart() : null;
    service.addListener(o -> System.out.println("recompression " + o.trigger() + " full v" + o.fullVersion() + ": "
        + o.status() + (o.publishedVersion() >= 0 ? " -> " + config.modelName() + " v" + o.publishedVersion() : "")
        + String.format(java.util.Locale.ROOT, " (%.1f s, %.2fx) ", o.seconds(), o.compressionRatio()) + o.reason()));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      if (http != null) {
        http.close();
      }
      stopped.countDown();
    }, "ctr-recompressor-shutdown"));
    service.start();
    System.out.println("ctr recompressor: " + config.modelUpdatesTopic() + " (" + config.fullModelName() + ") -> "
        + config.modelsTopic() + " (" + config.modelName() + "), state " + config.stateDir());
    if (http != null) {
      System.out.println("metrics: http://localhost:" + http.getPort() + "/metrics");
    }
    System.out.println("Ctrl-C to stop");
    System.out.flush();
    stopped.await();
    return service.failure() == null ? 0 : 1;
  }
}
