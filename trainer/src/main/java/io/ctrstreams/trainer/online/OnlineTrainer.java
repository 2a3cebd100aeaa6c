package io.ctrstreams.trainer.online;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.delta.DeltaEncoder;
import io.ctrstreams.model.delta.DeltaState;
import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.model.format.ModelFile;
import io.ctrstreams.serving.DeltaFollower;
import io.ctrstreams.serving.DeltaRecords;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.ServiceThread;
import io.ctrstreams.trainer.Features;
import io.ctrstreams.trainer.TrainerException;
import io.ctrstreams.trainer.data.RawRecord;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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
 *
 * <p><b>Deltas</b> ({@code delta.enabled}): every snapshot is also the keyframe of a delta chain;
 * between snapshots, every {@code delta.interval.ms} the trainer sends {@code D = Q(C(x - w))} to
 * the model-deltas topic ({@link DeltaEncoder}: top-k with error feedback on the weights), and a
 * snapshot comes early when the residual ratio passes {@code delta.keyframe.residual.ratio}.
 * Each keyframe's manifest records where its chain starts on the deltas topic ({@link
 * DeltaFollower#DELTA_OFFSET_KEY}), so a consumer seeks there after loading it.
 *
 * <p><b>Holdout guard</b> ({@code holdout.every} &gt; 0, {@link HoldoutGuard}): every n-th example
 * goes to a holdout window instead of training; a due snapshot whose holdout log loss exceeds the
 * last published snapshot's (on the same window) by more than {@code
 * publish.max.holdout.logloss.increase} is not published: counted in {@code
 * ctr_trainer_snapshots_refused_total{reason="holdout_logloss"}}, logged, reported to {@link
 * SnapshotListener#onRefused}; offsets are not committed (a restart resumes from the last
 * published snapshot's), and the next attempt comes on the regular schedule (interval or example
 * count). With deltas, snapshots are keyframes, so the guard judges keyframes: after a refused
 * keyframe no delta is sent (deltas would carry the refused weights to the consumers piece by
 * piece) and the residual trigger is off, until a keyframe passes and starts a new chain.
 * Deltas between two accepted keyframes are not judged one by one.
 */
public final class OnlineTrainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OnlineTrainer.class);
  private static final double LOSS_SMOOTHING = 0.05;

  private final OnlineTrainerConfig config;
  private final OnlineLearner learner;
  private final ExampleSource source;
  private final OnlineTrainerMetrics metrics;
  private final HoldoutGuard guard;
  private volatile long refused;
  /** A keyframe was refused: no deltas until one passes. */
  private boolean deltasPaused;
  private final List<SnapshotListener> listeners = new CopyOnWriteArrayList<>();
  private final ServiceThread worker = new ServiceThread();
  private ModelPublisher publisher;
  private volatile long examples;
  private volatile double loss = Double.NaN;
  private volatile long snapshots;
  private volatile long lastVersion = -1;
  private long examplesAtSnapshot;
  private long lastSnapshotMs;
  private KafkaProducer<byte[], byte[]> deltaProducer;
  private DeltaEncoder deltas;
  /** Reused buffers of {@link #fisherWeights}. */
  private float[][] fisher;
  private long nextDeltaOffset;
  private long lastDeltaMs;
  private long examplesAtDelta;
  private volatile long deltasSent;
  private volatile long deltaBytes;
  private final List<DeltaListener> deltaListeners = new CopyOnWriteArrayList<>();
  /** Fixed probe rows (the first batch trained) for the reconstruction's logit error. */
  private RawRecord[] probe;
  private volatile double probeLogitError = Double.NaN;
  /** Every how many deltas the probe error is measured (it builds a model from w). */
  static final int PROBE_EVERY = 10;


  /** Listener of sent deltas. */
  @FunctionalInterface
  public interface DeltaListener {
    /** Called on the trainer thread after each delta is acknowledged, with its record size. */
    void onDelta(ModelDelta delta, int bytes);
  }

  /** Listener of published snapshots. */
  @FunctionalInterface
  public interface SnapshotListener {
    /** Called on the trainer thread after each publish. */
    void onSnapshot(long version, long examplesTrained, double loss, long bytes);

    /** Called on the trainer thread when the holdout guard refuses a due snapshot. */
    default void onRefused(long examplesTrained, HoldoutGuard.Decision decision) {}
  }

  /** A trainer; connects on {@link #start()}. */
  public OnlineTrainer(OnlineTrainerConfig config, OnlineLearner learner, ExampleSource source, PrometheusRegistry registry) {
    this.config = Objects.requireNonNull(config, "config");
    this.learner = Objects.requireNonNull(learner, "learner");
    this.source = Objects.requireNonNull(source, "source");
    this.metrics = new OnlineTrainerMetrics(registry);
    this.guard = HoldoutGuard.of(config, source.schema(), metrics);
  }

  /**
   * Takes {@code previous} (the published snapshot this trainer's learner resumes from) as the
   * holdout guard's reference, so the first snapshot after a restart is judged too. Call before
   * {@link #start()}.
   */
  public OnlineTrainer guardReference(CtrModel previous) {
    guard.reference(previous);
    return this;
  }

  /** Adds a snapshot listener. */
  public void addListener(SnapshotListener l) {
    listeners.add(Objects.requireNonNull(l));
  }

  /** Adds a delta listener. */
  public void addDeltaListener(DeltaListener l) {
    deltaListeners.add(Objects.requireNonNull(l));
  }

  /** Starts the trainer thread. */
  public synchronized OnlineTrainer start() {
    worker.checkNotStarted("trainer");
    publisher = new ModelPublisher(config.producerConfigs(), config.modelUpdatesTopic());
    lastVersion = Math.max(0, publisher.topicState(config.modelName()).newestVersion());
    if (config.deltaEnabled()) {
      Map<String, Object> p = config.producerConfigs();
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, OnlineTrainerConfig.DELTA_MAX_RECORD_BYTES);
      p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "ctr-trainer-deltas");
      deltaProducer = new KafkaProducer<>(p);
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(
          config.consumerConfigs(null, "ctr-trainer-deltas-offsets"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        TopicPartition tp = new TopicPartition(config.deltasTopic(), 0);
        nextDeltaOffset = c.endOffsets(List.of(tp), java.time.Duration.ofSeconds(30)).get(tp);
      }
    }
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
      int n = guard.split(batch, source.next(batch, 200));
      if (n > 0) {
        if (probe == null && deltaProducer != null) {
          probe = new RawRecord[n];
          for (int i = 0; i < n; i++) {
            probe[i] = source.schema().newRecord();
            probe[i].copyFrom(batch[i]);
          }
        }
        double l = learner.train(batch, n);
        loss = Double.isNaN(loss) ? l : loss + LOSS_SMOOTHING * (l - loss);
        examples += n;
        metrics.trained(n, loss);
      }
      if (snapshotDue()) {
        publishSnapshot();
      } else if (deltas != null && !deltasPaused && deltaDue()) {
        publishDelta();
      }
    }
  }

  private boolean snapshotDue() {
    if (examples < config.minExamples() || examples == examplesAtSnapshot) {
      return false;
    }
    if (deltaProducer != null && deltas == null) {
      return true; // the first keyframe: the chain starts from it
    }
    long now = System.currentTimeMillis();
    return (config.snapshotIntervalMs() > 0 && now - lastSnapshotMs >= config.snapshotIntervalMs())
        || (config.snapshotExamples() > 0 && examples - examplesAtSnapshot >= config.snapshotExamples())
        || (deltas != null && !deltasPaused && deltas.residualRatio() > config.keyframeResidualRatio());
  }

  private boolean deltaDue() {
    return examples != examplesAtDelta && System.currentTimeMillis() - lastDeltaMs >= config.deltaIntervalMs();
  }

  /**
   * The learner's mean squared gradient per value of every tensor of the chain, for {@code
   * delta.selection=fisher} (reused buffers); null otherwise, or when the learner keeps no such
   * state (the chain then ranks by the plain residual).
   */
  private float[][] fisherWeights() {
    if (config.deltaSelection() != DeltaEncoder.Selection.FISHER) {
      return null;
    }
    DeltaState w = deltas.state();
    if (fisher == null || fisher.length != w.tensorCount()) {
      fisher = new float[w.tensorCount()][];
    }
    boolean any = false;
    for (int t = 0; t < fisher.length; t++) {
      if (fisher[t] == null || fisher[t].length != w.values(t).length) {
        fisher[t] = new float[w.values(t).length];
      }
      if (learner.meanSquaredGradient(w.name(t), fisher[t])) {
        any = true;
      } else {
        java.util.Arrays.fill(fisher[t], 0f); // no optimizer state: the tensor has not moved
      }
    }
    return any ? fisher : null;
  }

  private void publishDelta() {
    long now = System.currentTimeMillis();
    CtrModel x = learner.snapshot();
    ModelFile xf = x.toFile();
    ModelDelta d = deltas.next(xf, fisherWeights(), examples, examples, now);
    if (d.sequence() % PROBE_EVERY == 0) {
      probeLogitError = probeError(x, CtrModel.fromFile(deltas.state().toFile(xf)));
      metrics.probeLogitError(probeLogitError);
    }
    byte[] value = DeltaRecords.encode(d);
    try {
      RecordMetadata md = deltaProducer.send(new ProducerRecord<>(config.deltasTopic(), 0,
          config.modelName().getBytes(StandardCharsets.UTF_8), value)).get();
      nextDeltaOffset = md.offset() + 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrainerException("interrupted while sending delta " + d.sequence() + " of " + config.modelName());
    } catch (java.util.concurrent.ExecutionException e) {
      throw new TrainerException("sending delta " + d.sequence() + " of " + config.modelName() + " to "
          + config.deltasTopic() + " failed: " + e.getCause().getMessage(), e.getCause());
    }
    lastDeltaMs = now;
    examplesAtDelta = examples;
    deltasSent++;
    deltaBytes += value.length;
    metrics.delta(value.length, deltas.residualRatio());
    for (DeltaListener l : deltaListeners) {
      l.onDelta(d, value.length);
    }
  }

  private void publishSnapshot() {
    long version = lastVersion + 1;
    CtrModel snapshot = learner.snapshot();
    HoldoutGuard.Decision decision = guard.check(snapshot);
    if (!decision.publish()) {
      refuse(decision);
      return;
    }
    // Encoded once, as the learner made it: the manifest names the version and carries the stats.
    ModelFile file = snapshot.toFile();
    byte[] bytes = CtrmFormat.toBytes(file);
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("examples-trained", Long.toString(examples));
    meta.put("training-loss", String.format(Locale.ROOT, "%.5f", loss));
    meta.put("trained-at-ms", Long.toString(System.currentTimeMillis()));
    if (!Double.isNaN(decision.logloss())) {
      meta.put("holdout-logloss", String.format(Locale.ROOT, "%.5f", decision.logloss()));
      meta.put("holdout-rows", Integer.toString(decision.rows()));
    }
    if (deltaProducer != null) {
      meta.put(DeltaFollower.DELTA_TOPIC_KEY, config.deltasTopic());
      meta.put(DeltaFollower.DELTA_OFFSET_KEY, Long.toString(nextDeltaOffset));
    }
    publisher.publish(config.modelName(), version, bytes, meta);
    if (deltaProducer != null) {
      String reason = deltas == null ? "start" : deltasPaused ? "guard"
          : deltas.residualRatio() > config.keyframeResidualRatio() ? "residual" : "interval";
      if (deltas == null) {
        deltas = new DeltaEncoder(config.modelName(), version, file, config.deltaTopkRatio(), config.deltaEncoding(),
            config.deltaTopkScope(), config.deltaGroupScale(), config.deltaSelection());
      } else {
        deltas.keyframe(version, file);
      }
      metrics.keyframe(reason);
      lastDeltaMs = System.currentTimeMillis();
      examplesAtDelta = examples;
      deltasPaused = false;
    }
    guard.published(snapshot, decision);
    source.commit();
    lastVersion = version;
    snapshots++;
    examplesAtSnapshot = examples;
    lastSnapshotMs = System.currentTimeMillis();
    metrics.published(version);
    LOG.info("published snapshot {} v{} ({} bytes) after {} examples, loss {}{}", config.modelName(), version,
        bytes.length, examples, String.format(Locale.ROOT, "%.4f", loss),
        Double.isNaN(decision.logloss()) ? "" : ", " + decision);
    for (SnapshotListener l : listeners) {
      l.onSnapshot(version, examples, loss, bytes.length);
    }
  }

  /**
   * A due snapshot the guard refused: not published, offsets not committed, the next attempt on
   * the regular schedule; with deltas, the chain pauses until a keyframe passes.
   */
  private void refuse(HoldoutGuard.Decision decision) {
    refused++;
    examplesAtSnapshot = examples;
    lastSnapshotMs = System.currentTimeMillis();
    if (deltas != null) {
      deltasPaused = true;
    }
    LOG.warn("refused snapshot {} after {} examples: {} exceeds {} = {}{}", config.modelName(), examples, decision,
        OnlineTrainerConfig.PUBLISH_MAX_HOLDOUT_LOGLOSS_INCREASE_CONFIG, config.publishMaxHoldoutLoglossIncrease(),
        deltas != null ? "; deltas paused until a keyframe passes" : "");
    for (SnapshotListener l : listeners) {
      l.onRefused(examples, decision);
    }
  }

  /** Snapshots the holdout guard refused in this instance. */
  public long snapshotsRefused() {
    return refused;
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

  /** Mean |logit(x) - logit(w)| over the probe rows: how far the consumers' weights lag the trainer's. */
  private double probeError(CtrModel x, CtrModel w) {
    FeatureVector v = x.encoder().newFeatureVector();
    double sum = 0;
    for (RawRecord r : probe) {
      v.clear();
      Features.encode(x.encoder(), r, v);
      sum += Math.abs(x.scorer().scoreLogit(v, v) - w.scorer().scoreLogit(v, v));
    }
    return sum / probe.length;
  }

  /**
   * Mean |logit(x) - logit(w)| on the fixed probe rows at the last measurement (every {@value
   * #PROBE_EVERY} deltas), NaN before one.
   */
  public double probeLogitError() {
    return probeLogitError;
  }

  /** Deltas sent by this instance. */
  public long deltasSent() {
    return deltasSent;
  }

  /** Bytes of the delta records sent by this instance. */
  public long deltaBytes() {
    return deltaBytes;
  }

  /**
   * The weights the delta chain's consumers hold after the last delta, or null without deltas;
   * read it only after {@link #close()} (the trainer thread owns it).
   */
  public DeltaState deltaState() {
    return deltas == null ? null : deltas.state();
  }

  /** Sequence number of the last delta on the current keyframe (0 right after one); read after {@link #close()}. */
  public long deltaSequence() {
    return deltas == null ? 0 : deltas.sequence();
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
      if (deltaProducer != null) {
        deltaProducer.close();
      }
    }
    source.close();
    learner.close();
  }
}
