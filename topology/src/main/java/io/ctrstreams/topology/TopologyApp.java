package io.ctrstreams.topology;

import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.serving.ModelCheckpoint;
import io.ctrstreams.serving.ModelRegistry;
import io.ctrstreams.serving.ServedDeltaFollower;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service: model registries, metrics, the topology, its {@link KafkaStreams} client
 * and the HTTP endpoint, wired from one {@link TopologyConfig}. The CLI ({@code ctr topology})
 * and the integration tests start it the same way.
 *
 * <p>Close semantics: with static membership ({@code group.instance.id} set, as in the k8s
 * StatefulSet) the instance stays in the group so a restart within {@code session.timeout.ms}
 * gets its tasks back without a rebalance; otherwise it leaves the group so a restart does not
 * wait out the session timeout.
 */
public final class TopologyApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopologyApp.class);

  private final TopologyConfig config;
  private final PrometheusRegistry registry;
  private final TopologyMetrics metrics;
  private final OnlineMetrics online;
  private final ModelRegistry live;
  private final ModelRegistry shadow;
  private final KafkaStreams streams;
  private final MetricsServer server;
  private final InputProgressMonitor progress;
  private final LiveSeries liveSeries;
  private final ServedDeltaFollower deltas;
  private final ServedDeltaFollower shadowDeltas;

  private TopologyApp(TopologyConfig config, LongSupplier wallClock) throws IOException {
    this.config = config;
    this.registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    BuildInfo.register(registry, "topology");
    this.metrics = new TopologyMetrics(registry);
    metrics.expectDeadLetters(config.labelsEnabled()
        ? List.of(config.impressionsTopic(), config.clicksTopic()) : List.of(config.impressionsTopic()));
    this.online = new OnlineMetrics(config.onlineMetricsWindowMs());
    registry.register(online);
    Optional<ModelSpec> expected = config.expectedSpec(); // read once for both registries
    this.live = registry(config, config.modelName(), expected);
    this.shadow = config.shadowModelName() == null ? null : registry(config, config.shadowModelName(), expected);
    this.deltas = config.deltaEnabled()
        ? new ServedDeltaFollower(config.consumerConfigs(null, config.applicationId() + "-deltas"),
            config.deltasTopic(), live)
        : null;
    // the shadow (the full model, republished by the recompressor with the trainer's keyframe
    // manifest) follows the trainer's own chain, so live and shadow are compared at equal freshness
    this.shadowDeltas = config.deltaEnabled() && shadow != null
        ? new ServedDeltaFollower(config.consumerConfigs(null, config.applicationId() + "-shadow-deltas"),
            config.deltasTopic(), shadow)
        : null;
    registry.register(new ModelMetrics(live, shadow, System::currentTimeMillis, deltas));
    Topology topology =
        ScoringTopology.build(
            config, new ScoringTopology.Runtime(metrics, live, shadow, online, wallClock));
    this.streams = new KafkaStreams(topology, config.streamsProperties());
    registry.register(new KafkaStreamsCollector(streams::metrics));
    GaugeWithCallback.builder().name("ctr_streams_running")
        .help("1 while the Kafka Streams client is RUNNING, else 0 (rebalancing, restoring, dead): what /health/ready answers.")
        .callback(cb -> cb.call(streams.state() == KafkaStreams.State.RUNNING ? 1 : 0)).register(registry);
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error("stream thread died; shutting the client down", e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    List<String> inputs = config.labelsEnabled()
        ? List.of(config.impressionsTopic(), config.clicksTopic()) : List.of(config.impressionsTopic());
    this.progress = config.progressIntervalMs() == 0 ? null : new InputProgressMonitor(config.adminConfigs(),
        config.applicationId(), inputs, config.stallThresholdMs(), registry);
    this.liveSeries = config.metricsEnabled() ? new LiveSeries(registry) : null;
    this.server = config.metricsEnabled()
        ? MetricsServer.start(config.metricsPort(), registry, streams::state,
            progress == null ? () -> "" : progress::detail, liveSeries)
        : null;
  }

  /**
   * A registry for model {@code name} expecting the configured spec, else the one persisted by an
   * earlier run; with a checkpoint, the saved model is served before the topic is replayed.
   */
  private static ModelRegistry registry(TopologyConfig config, String name, Optional<ModelSpec> configured) {
    ModelRegistry r = new ModelRegistry(name);
    Optional<ModelCheckpoint> checkpoint = config.checkpointDir(name).map(ModelCheckpoint::new);
    Optional<ModelSpec> persisted = checkpoint.flatMap(ModelCheckpoint::expectedSpec);
    configured.or(() -> persisted).ifPresent(r::expect);
    checkpoint.ifPresent(c -> {
      if (configured.isPresent() && !configured.equals(persisted)) {
        c.saveExpectedSpec(configured.get());
      }
      r.checkpointTo(c);
      long t0 = System.nanoTime();
      c.load().ifPresent(saved -> LOG.info("model {}: checkpoint v{} in {}: {} in {} ms", name,
          saved.manifest().getVersion(), c.dir(), r.restore(saved), (System.nanoTime() - t0) / 1_000_000));
    });
    return r;
  }

  /** Builds everything and starts the Streams client (returns immediately). */
  public static TopologyApp start(TopologyConfig config) throws IOException {
    return start(config, System::currentTimeMillis);
  }

  /**
   * As {@link #start(TopologyConfig)} with the epoch-ms clock used for {@code scoredAtMs} and
   * event-time lag (simulations and fault-injection tests).
   */
  public static TopologyApp start(TopologyConfig config, LongSupplier wallClock) throws IOException {
    TopologyApp app = new TopologyApp(config, wallClock);
    LOG.info("scoring kernels: {}", io.ctrstreams.model.internal.MatMuls.describe());
    try {
      if (app.deltas != null) {
        app.deltas.start();
      }
      if (app.shadowDeltas != null) {
        app.shadowDeltas.start();
      }
      app.streams.start();
      if (app.progress != null) {
        app.progress.start(Duration.ofMillis(app.config.progressIntervalMs()));
      }
      if (app.liveSeries != null) {
        app.liveSeries.start();
      }
    } catch (RuntimeException e) {
      app.close();
      throw e;
    }
    return app;
  }

  /** Waits until the client is RUNNING; false on timeout or a terminal state. */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      KafkaStreams.State s = streams.state();
      if (s == KafkaStreams.State.RUNNING) {
        return true;
      }
      if (!MetricsServer.isLive(s)) {
        return false;
      }
      Thread.sleep(20);
    }
    return false;
  }

  /** The Streams client. */
  public KafkaStreams streams() {
    return streams;
  }

  /** Registry of the live model. */
  public ModelRegistry live() {
    return live;
  }

  /** Registry of the shadow model, or null. */
  public ModelRegistry shadow() {
    return shadow;
  }

  /** Prometheus registry with every exported metric. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** Online quality metrics. */
  public OnlineMetrics online() {
    return online;
  }

  /** The bound metrics port, or -1 when the endpoint is off. */
  public int metricsPort() {
    return server == null ? -1 : server.port();
  }

  /** The configuration. */
  public TopologyConfig config() {
    return config;
  }

  @Override
  public void close() {
    boolean staticMember = config.originals().containsKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    try {
      streams.close(
          CloseOptions.timeout(Duration.ofSeconds(30))
              .withGroupMembershipOperation(
                  staticMember
                      ? CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP
                      : CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    } finally {
      if (server != null) {
        server.close();
      }
      if (progress != null) {
        progress.close();
      }
      if (liveSeries != null) {
        liveSeries.close();
      }
      if (deltas != null) {
        deltas.close();
      }
      if (shadowDeltas != null) {
        shadowDeltas.close();
      }
    }
  }

  /** The live model's delta follower, or null when delta.enabled is off. */
  public ServedDeltaFollower deltas() {
    return deltas;
  }
}
