package io.ctrstreams.trainer.online;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.model.format.ReadOptions;
import io.ctrstreams.serving.AssemblyResult;
import io.ctrstreams.serving.ModelChunkAssembler;
import io.ctrstreams.serving.ModelTopicFollower;
import io.ctrstreams.trainer.TrainerConfig;
import io.ctrstreams.trainer.TrainerException;
import io.ctrstreams.trainer.data.RawSchema;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the continuous trainer the CLI and the demo run. */
public final class OnlineTrainers {
  private static final Logger LOG = LoggerFactory.getLogger(OnlineTrainers.class);

  /** Synthetic rows the trainer starts at: far from the rows the demo traffic sends (row 0 up). */
  public static final long SYNTHETIC_TRAINING_START_ROW = 1L << 40;

  private OnlineTrainers() {}

  /**
   * A backprop learner on the configured source (labeled topic with the Criteo schema, or the
   * synthetic stream), one thread and the plain-Java GEMM: the online model is small, and the
   * trainer shares the machine with the scoring path. It starts from the newest snapshot of its
   * model on the model-updates topic when that has the configured spec (a restart continues the
   * model whose examples its committed offsets account for), else from random weights.
   */
  public static OnlineTrainer backprop(OnlineTrainerConfig config, PrometheusRegistry registry) {
    ExampleSource src = config.syntheticSource()
        ? new SyntheticExampleSource(config.syntheticSeed(), config.maxExamplesPerSecond(), SYNTHETIC_TRAINING_START_ROW)
        : new LabeledTopicExampleSource(
            config.consumerConfigs(config.groupId(), config.groupId() + "-labeled"), config.labeledTopic(),
            RawSchema.criteo());
    TrainerConfig tc = TrainerConfig.defaults().withBatchSize(config.batchSize()).withSeed(config.seed())
        .withThreads(1).withGemm("java");
    ModelSpec spec = OnlineModels.spec(src.schema(), config);
    Optional<CtrModel> last = newestSnapshot(config);
    TrainerLearner learner;
    if (last.isPresent() && last.get().spec().equals(spec)) {
      LOG.info("trainer continues from snapshot {} v{} on {}", config.modelName(), last.get().version(),
          config.modelUpdatesTopic());
      learner = new TrainerLearner(last.get(), tc);
    } else {
      if (last.isPresent()) {
        LOG.warn("newest snapshot {} v{} has another spec than configured: training from random weights",
            config.modelName(), last.get().version());
      }
      learner = TrainerLearner.fromScratch(spec, tc);
    }
    OnlineTrainer trainer = new OnlineTrainer(config, learner, src, registry);
    if (last.isPresent() && last.get().spec().equals(spec)) {
      trainer.guardReference(last.get()); // the holdout guard judges the first snapshot after a restart against it
    }
    return trainer;
  }

  /**
   * The newest complete snapshot of the configured model on the model-updates topic, with the
   * version its manifest gives; empty when there is none (or the topic does not exist yet).
   */
  public static Optional<CtrModel> newestSnapshot(OnlineTrainerConfig config) {
    ModelChunkAssembler assembler = new ModelChunkAssembler();
    AtomicReference<AssemblyResult.Assembled> newest = new AtomicReference<>();
    ModelTopicFollower follower = new ModelTopicFollower(config.consumerConfigs(null, "ctr-trainer-resume"),
        config.modelUpdatesTopic(), (key, value) -> {
          if (assembler.accept(key, value) instanceof AssemblyResult.Assembled a && a.model().equals(config.modelName())
              && (newest.get() == null || a.version() > newest.get().version())) {
            newest.set(a);
          }
        });
    try (follower) {
      follower.start();
      if (!follower.awaitCaughtUp(Duration.ofSeconds(60))) {
        throw new TrainerException("reading " + config.modelUpdatesTopic() + " for the newest snapshot of "
            + config.modelName() + " timed out after 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrainerException("interrupted while reading " + config.modelUpdatesTopic());
    } catch (io.ctrstreams.serving.ServingException e) {
      LOG.info("no snapshot to continue from ({}): training from random weights", e.getMessage());
      return Optional.empty();
    }
    AssemblyResult.Assembled a = newest.get();
    if (a == null) {
      return Optional.empty();
    }
    return Optional.of(CtrModel.fromFile(CtrmFormat.read(a.copyInto(null), ReadOptions.defaults()))
        .withVersion(a.version()));
  }
}
