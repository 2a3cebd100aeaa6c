package io.ctrstreams.cli;

import io.ctrstreams.recompressor.service.CompressorPipeline;
import io.ctrstreams.recompressor.service.RecompressorConfig;
import io.ctrstreams.recompressor.service.RecompressorService;
import io.ctrstreams.serving.KafkaTopics;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  @Mixin ConfigOptions options;

  @Option(names = "--state-dir", paramLabel = "DIR", description = "RocksDB state directory (kept across restarts).")
  Path stateDir;

  @Option(names = "--metrics-port", paramLabel = "PORT", description = "Port of /metrics (default 9401; 0 = free port; -1 = off).")
  Integer metricsPort;

  @Option(names = "--create-topics", description = "Create missing topics (model-updates and models compacted).")
  boolean createTopics;

  @Override
  public Integer call() throws Exception {
    if (options.printedDocs(RecompressorConfig.toMarkdown())) {
      return 0;
    }
    RecompressorConfig config = options.load(RecompressorConfig::new,
        RecompressorConfig.STATE_DIR_CONFIG, stateDir, RecompressorConfig.METRICS_PORT_CONFIG, metricsPort);
    if (createTopics) {
      KafkaTopics.ensure(List.of(config));
    }
    PrometheusRegistry registry = new PrometheusRegistry();
    RecompressorService service = new RecompressorService(config, CompressorPipeline.fromConfig(config), registry);
    HTTPServer http = config.metricsEnabled()
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
