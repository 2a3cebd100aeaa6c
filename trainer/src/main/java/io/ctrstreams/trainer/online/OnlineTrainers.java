package io.ctrstreams.trainer.online;

import io.ctrstreams.trainer.TrainerConfig;
import io.ctrstreams.trainer.data.RawSchema;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** Builds the continuous trainer the CLI and the demo run. */
public final class OnlineTrainers {
  /** Synthetic rows the trainer starts at: far from the rows the demo traffic sends (row 0 up). */
  public static final long SYNTHETIC_TRAINING_START_ROW = 1L << 40;

  private OnlineTrainers() {}

  /**
   * A backprop learner from random weights on the configured source (labeled topic with the
   * Criteo schema, or the synthetic stream), one thread and the plain-Java GEMM: the online model
   * is small, and the trainer shares the machine with the scoring path.
   */
  public static OnlineTrainer backprop(OnlineTrainerConfig config, PrometheusRegistry registry) {
    ExampleSource src = config.syntheticSource()
        ? new SyntheticExampleSource(config.syntheticSeed(), config.maxExamplesPerSecond(), SYNTHETIC_TRAINING_START_ROW)
        : new LabeledTopicExampleSource(
            config.consumerConfigs(config.groupId(), config.groupId() + "-labeled"), config.labeledTopic(),
            RawSchema.criteo());
    TrainerConfig tc = TrainerConfig.defaults().withBatchSize(config.batchSize()).withSeed(config.seed())
        .withThreads(1).withGemm("java");
    TrainerLearner learner = TrainerLearner.fromScratch(OnlineModels.spec(src.schema(), config), tc);
    return new OnlineTrainer(config, learner, src, registry);
  }
}
