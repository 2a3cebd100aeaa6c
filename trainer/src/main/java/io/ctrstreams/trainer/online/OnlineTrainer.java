package io.ctrstreams.trainer.online;

import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.ServiceThread;
import io.ctrstreams.trainer.data.RawRecord;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The continuous trainer: one thread ({@code ctr-trainer}) pulls mini-batches from an
 * {@link ExampleSource}, steps an {@link OnlineLearner}, and every {@code snapshot.interval.ms} or
 * {@code snapshot.examples} publishes the current weights as the next version of
 * {@code model.name} to the model-updates topic through a {@link ModelPublisher} (the same chunk
 * + manifest transport as the models topic; the manifest carries the version and the training
 * stats, the .ctrm is the learner's snapshot as it is). Version numbers continue after the newest one on the
 * topic, so a restart never reuses one. The source's offsets are committed after each publish.
 */
public final class OnlineTrainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OnlineTrainer.class);
  private static final double LOSS_SMOOTHING = 0.05;

  private final OnlineTrainerConfig config;
  private final OnlineLearner learner;
  private final ExampleSource source;
  private final OnlineTrainerMetrics metrics;
  private final List<SnapshotListener> listeners = new CopyOnWriteArrayList<>();
  private final ServiceThread worker = new ServiceThread();
  private ModelPublisher publisher;
  private volatile long examples;
  private volatile double loss = Double.NaN;
  private volatile long snapshots;
  private volatile long lastVersion = -1;
  private long examplesAtSnapshot;
  private long lastSnapshotMs;

  /** Listener of published snapshots. */
  @FunctionalInterface
  public interface SnapshotListener {
    /** Called on the trainer thread after each publish. */
    void onSnapshot(long version, long examplesTrained, double loss, long bytes);
  }

  /** A trainer; connects on {@link #start()}. */
  public OnlineTrainer(OnlineTrainerConfig config, OnlineLearner learner, ExampleSource source, PrometheusRegistry registry) {
    this.config = Objects.requireNonNull(config, "config");
    this.learner = Objects.requireNonNull(learner, "learner");
    this.source = Objects.requireNonNull(source, "source");
    this.metrics = new OnlineTrainerMetrics(registry);
  }

  /** Adds a snapshot listener. */
  public void addListener(SnapshotListener l) {
    listeners.add(Objects.requireNonNull(l));
  }

  /** Starts the trainer thread. */
  public synchronized OnlineTrainer start() {
    worker.checkNotStarted("trainer");
    publisher = new ModelPublisher(config.producerConfigs(), config.modelUpdatesTopic());
    lastVersion = Math.max(0, publisher.topicState(config.modelName()).newestVersion());
    lastSnapshotMs = System.currentTimeMillis();
    worker.start("ctr-trainer", false, this::run, e -> LOG.error("trainer stopped: {}", e.toString(), e));
    return this;
  }

  private void run() {
    RawRecord[] batch = new RawRecord[config.batchSize()];
    for (int i = 0; i < batch.length; i++) {
      batch[i] = source.schema().newRecord();
    }
    while (!worker.stopping()) {
      int n = source.next(batch, 200);
      if (n > 0) {
        double l = learner.train(batch, n);
        loss = Double.isNaN(loss) ? l : loss + LOSS_SMOOTHING * (l - loss);
        examples += n;
        metrics.trained(n, loss);
      }
      if (snapshotDue()) {
        publishSnapshot();
      }
    }
  }

  private boolean snapshotDue() {
    if (examples < config.minExamples() || examples == examplesAtSnapshot) {
      return false;
    }
    long now = System.currentTimeMillis();
    return (config.snapshotIntervalMs() > 0 && now - lastSnapshotMs >= config.snapshotIntervalMs())
        || (config.snapshotExamples() > 0 && examples - examplesAtSnapshot >= config.snapshotExamples());
  }

  private void publishSnapshot() {
    long version = lastVersion + 1;
    // Encoded once, as the learner made it: the manifest names the version and carries the stats.
    byte[] bytes = CtrmFormat.toBytes(learner.snapshot().toFile());
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("examples-trained", Long.toString(examples));
    meta.put("training-loss", String.format(Locale.ROOT, "%.5f", loss));
    meta.put("trained-at-ms", Long.toString(System.currentTimeMillis()));
    publisher.publish(config.modelName(), version, bytes, meta);
    source.commit();
    lastVersion = version;
    snapshots++;
    examplesAtSnapshot = examples;
    lastSnapshotMs = System.currentTimeMillis();
    metrics.published(version);
    LOG.info("published snapshot {} v{} ({} bytes) after {} examples, loss {}", config.modelName(), version,
        bytes.length, examples, String.format(Locale.ROOT, "%.4f", loss));
    for (SnapshotListener l : listeners) {
      l.onSnapshot(version, examples, loss, bytes.length);
    }
  }

  /** Examples trained so far. */
  public long examplesTrained() {
    return examples;
  }

  /** Smoothed training loss (NaN before the first batch). */
  public double loss() {
    return loss;
  }

  /** Snapshots published by this instance. */
  public long snapshotsPublished() {
    return snapshots;
  }

  /** Version of the newest published snapshot (the topic's newest before the first publish). */
  public long lastVersion() {
    return lastVersion;
  }

  /** What stopped the thread, or null. */
  public Throwable failure() {
    return worker.failure();
  }

  /** Stops the thread, then closes the source and the publisher. */
  @Override
  public synchronized void close() {
    if (worker.stop(60_000)) {
      publisher.close();
    }
    source.close();
    learner.close();
  }
}
