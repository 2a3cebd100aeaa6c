package io.ctrstreams.cli;

import io.ctrstreams.recompressor.service.CompressorPipeline;
import io.ctrstreams.recompressor.service.RecompressorConfig;
import io.ctrstreams.recompressor.service.RecompressorService;
import io.ctrstreams.serving.KafkaTopics;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
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

  @Option(names = "--state-dir", paramLabel = "DIR", description = "RocksDB state directory (kept across restarts).")
  Path stateDir;

  @Option(names = "--create-topics", description = "Create missing topics (model-updates and models compacted).")
  boolean createTopics;

  @Mixin ServiceOptions options;

  @Override
  public Integer call() throws Exception {
    if (options.printedDocs(RecompressorConfig.toMarkdown())) {
      return 0;
    }
    RecompressorConfig config = options.load(RecompressorConfig::new,
        RecompressorConfig.STATE_DIR_CONFIG, stateDir);
    if (createTopics) {
      KafkaTopics.ensure(List.of(config));
    }
    PrometheusRegistry registry = new PrometheusRegistry();
    io.ctrstreams.topology.BuildInfo.register(registry, "recompressor");
    RecompressorService service = new RecompressorService(config, CompressorPipeline.fromConfig(config), registry);
    HTTPServer http = ServiceOptions.metricsEndpoint(config, registry);
    service.addListener(o -> System.out.println("recompression " + o.trigger() + " full v" + o.fullVersion() + ": "
        + o.status() + (o.publishedVersion() >= 0 ? " -> " + config.modelName() + " v" + o.publishedVersion() : "")
        + String.format(Locale.ROOT, " (%.1f s, %.2fx) ", o.seconds(), o.compressionRatio()) + o.reason()));
    service.start();
    options.untilCtrlC(service, http, "ctr recompressor: " + config.modelUpdatesTopic() + " ("
        + config.fullModelName() + ") -> " + config.modelsTopic() + " (" + config.modelName() + "), state "
        + config.stateDir());
    return service.failure() == null ? 0 : 1;
  }
}
