package io.ctrstreams.cli;

import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.trainer.online.OnlineTrainer;
import io.ctrstreams.trainer.online.OnlineTrainerConfig;
import io.ctrstreams.trainer.online.OnlineTrainers;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  @Option(names = "--source", paramLabel = "labeled|synthetic", description = "Training data (default labeled).")
  String source;

  @Option(names = "--snapshot-interval", paramLabel = "SECONDS", description = "Publish a snapshot this often (default 20).")
  Long snapshotSeconds;

  @Option(names = "--create-topics", description = "Create the model-updates topic (compacted) if missing.")
  boolean createTopics;

  @Mixin ServiceOptions options;

  @Override
  public Integer call() throws Exception {
    if (options.printedDocs(OnlineTrainerConfig.toMarkdown())) {
      return 0;
    }
    OnlineTrainerConfig config = options.load(OnlineTrainerConfig::new, OnlineTrainerConfig.SOURCE_CONFIG, source,
        OnlineTrainerConfig.SNAPSHOT_INTERVAL_MS_CONFIG, snapshotSeconds == null ? null : snapshotSeconds * 1000);
    if (createTopics) {
      KafkaTopics.ensure(List.of(config));
    }
    PrometheusRegistry registry = new PrometheusRegistry();
    io.ctrstreams.topology.BuildInfo.register(registry, "trainer");
    if (config.exchangeEnabled()) {
      // one worker of a data-parallel group (issue 15)
      io.ctrstreams.trainer.exchange.DataParallelTrainer worker =
          new io.ctrstreams.trainer.exchange.DataParallelTrainer(config, registry);
      HTTPServer http = ServiceOptions.metricsEndpoint(config, registry);
      worker.start();
      options.untilCtrlC(worker, http, "ctr trainer: data-parallel worker " + config.exchangeWorkerId() + " of group "
          + config.groupId() + ", " + config.labeledTopic() + " -> " + config.modelUpdatesTopic() + " via "
          + config.exchangeTopic() + " (" + config.exchangeAlgorithm().configName() + ")");
      return worker.failure() == null ? 0 : 1;
    }
    OnlineTrainer trainer = OnlineTrainers.backprop(config, registry);
    HTTPServer http = ServiceOptions.metricsEndpoint(config, registry);
    trainer.addListener((v, ex, loss, bytes) -> System.out.printf(Locale.ROOT,
        "snapshot %s v%d: %d examples, loss %.4f, %d bytes%n", config.modelName(), v, ex, loss, bytes));
    trainer.start();
    options.untilCtrlC(trainer, http, "ctr trainer: "
        + (config.syntheticSource() ? "synthetic stream" : config.labeledTopic()) + " -> " + config.modelUpdatesTopic()
        + " (" + config.modelName() + ")");
    return trainer.failure() == null ? 0 : 1;
  }
}
