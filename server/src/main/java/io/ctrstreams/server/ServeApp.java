package io.ctrstreams.server;

import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ModelFeed;
import io.ctrstreams.serving.ModelRegistry;
import io.ctrstreams.serving.ModelTopicFollower;
import io.ctrstreams.serving.ServedDeltaFollower;
import io.ctrstreams.server.internal.ServedLog;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ctr serve} wired from one {@link ServeConfig}: registries (from {@code model.file}, or
 * followed from the models topic with the registry's hot swap, pin and shadow), the impression
 * log and the servers. The CLI, the demo and the integration tests start it the same way.
 */
public final class ServeApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServeApp.class);

  private final ServeConfig config;
  private final ServedModels models;
  private final ServerMetrics metrics;
  private ModelTopicFollower follower;
  private final java.util.List<ModelFileWatcher> fileWatchers = new java.util.ArrayList<>();
  private final java.util.List<ServedDeltaFollower> deltaFollowers = new java.util.ArrayList<>();
  private ImpressionLog log;
  private CtrServer server;

  private ServeApp(ServeConfig config) throws IOException {
    this.config = config;
    ModelRegistry live;
    ModelRegistry shadow = null;
    if (config.modelFile().isPresent()) {
      live = new ModelRegistry(config.modelName());
      ModelFiles.load(live, config.modelFile().get());
      if (config.shadowModelFile().isPresent()) {
        shadow = new ModelRegistry(config.modelName() + "-shadow");
        ModelFiles.load(shadow, config.shadowModelFile().get());
      }
    } else {
      live = new ModelRegistry(config.modelName());
      shadow = config.shadowModelName() == null ? null : new ModelRegistry(config.shadowModelName());
    }
    this.models = new ServedModels(live, shadow, config.shadowSampleRate());
    this.metrics = ServerMetrics.standard(models);
  }

  /** Builds everything, starts following the models topic (unless a file is served) and binds the ports. */
  public static ServeApp start(ServeConfig config, String version) throws IOException, InterruptedException {
    ServeApp app = new ServeApp(config);
    try {
      app.startParts(version);
    } catch (InterruptedException | RuntimeException e) {
      app.close();
      throw e;
    }
    return app;
  }

  private void startParts(String version) throws InterruptedException {
    if (config.modelFile().isPresent() && config.modelFilePollMs() > 0) {
      watch(models.live(), config.modelFile().get());
      if (models.shadow() != null) {
        watch(models.shadow(), config.shadowModelFile().get());
      }
    }
    if (config.modelFile().isEmpty()) {
      KafkaTopics.ensure(List.of(config));
      ModelFeed feed = models.shadow() == null ? ModelFeed.of(models.live()) : ModelFeed.of(models.live(), models.shadow());
      if (config.deltaEnabled()) {
        for (ModelRegistry r : models.shadow() == null ? List.of(models.live()) : List.of(models.live(), models.shadow())) {
          deltaFollowers.add(new ServedDeltaFollower(config.consumerConfigs(null, "ctr-serve-deltas-" + r.name()),
              config.deltasTopic(), r).start());
        }
      }
      follower = new ModelTopicFollower(config.consumerConfigs(null, "ctr-serve-models"), config.modelsTopic(),
          feed::accept).start();
    }
    ServedLog served = ServedLog.NONE;
    if (config.logEnabled()) {
      log = new ImpressionLog(config.producerConfigs(), config.logTopic(), config.logQueueCapacity(),
          config.logBlockWhenFull(), metrics.registry());
      served = log;
    }
    server = CtrServer.builder(models, metrics)
        .host(config.host()).port(config.port()).grpcPort(config.grpcPort()).threads(config.threads())
        .transport(config.transport())
        .maxRequestBytes(config.maxRequestBytes()).maxCandidates(config.maxCandidates())
        .maxIdLength(config.maxIdLength()).log(served).version(version)
        .build().start();
    LOG.info("ctr serve: model '{}' on REST port {} ({} transport)", models.name(), server.port(), server.transport());
  }

  private void watch(ModelRegistry registry, java.nio.file.Path file) {
    try {
      fileWatchers.add(new ModelFileWatcher(registry, file, config.modelFilePollMs()).start());
    } catch (IOException e) {
      throw new ServerException("cannot watch model file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Waits until the models topic has been read up to its end as of the start; true at once with a file. */
  public boolean awaitModelsCaughtUp(Duration timeout) throws InterruptedException {
    return follower == null || follower.awaitCaughtUp(timeout);
  }

  /** The models served. */
  public ServedModels models() {
    return models;
  }

  /** The metrics. */
  public ServerMetrics metrics() {
    return metrics;
  }

  /** The bound REST port. */
  public int port() {
    return server.port();
  }

  /** The bound gRPC port, -1 when off. */
  public int grpcPort() {
    return server.grpcPort();
  }

  /** The configuration. */
  public ServeConfig config() {
    return config;
  }

  /** Stops serving first, then flushes the log and stops following. */
  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
    if (log != null) {
      log.close();
    }
    fileWatchers.forEach(ModelFileWatcher::close);
    if (follower != null) {
      follower.close();
    }
    deltaFollowers.forEach(ServedDeltaFollower::close);
  }
}
