package io.ctrstreams.recompressor.service;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.LowRankConfig;
import io.ctrstreams.model.Scorer;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.recompressor.RecompressorException;
import io.ctrstreams.recompressor.gate.GateThresholds;
import io.ctrstreams.recompressor.gate.QualityGate;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.serving.AssemblyResult;
import io.ctrstreams.serving.ModelChunkAssembler;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.ServedModel;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming recompressor: one thread ({@code ctr-recompressor}) that
 *
 * <ol>
 *   <li>reads the model-updates topic from the beginning on every start (it is compacted and the
 *       publisher tombstones old versions, so this is the latest one or two snapshots) through a
 *       {@link ModelChunkAssembler}, and keeps the newest full snapshot of {@code full.model.name}
 *       in RocksDB;
 *   <li>consumes impressions and labeled examples in a consumer group, writing them into the
 *       calibration reservoir and the holdout ring before committing their offsets
 *       (at-least-once: after a crash a few records may be sampled twice, which a uniform
 *       sample tolerates);
 *   <li>when a snapshot newer than the last finished one arrives (or the age / drift trigger
 *       fires) runs the {@link CompressionPipeline}, gates the candidate against the full model
 *       and, if accepted, publishes (a) the full model under {@code shadow.model.name} and (b)
 *       the compressed model under {@code model.name} with the next version number and metadata
 *       {@code compressed-from=<full version>}; a rejected candidate is logged and counted.
 * </ol>
 *
 * <p>Restart safety: the finished full version is written (synced) to RocksDB after each run, so
 * a restart between snapshots does not redo (or republish) it. A crash between the publish and
 * that write republishes once under a new version number — harmless for consumers, which only
 * move forward.
 *
 * <p>The gate scores the holdout window with both models ({@link QualityGate}); while the window
 * holds fewer than {@code holdout.min.rows} rows (before any model served, nothing is labeled) it
 * gates on fidelity to the full model over the calibration rows (mean |logit diff|), unless
 * {@code gate.require.holdout} is set.
 */
public final class RecompressorService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RecompressorService.class);
  private static final long COMMIT_INTERVAL_MS = 1_000;

  private final RecompressorConfig config;
  private final CompressionPipeline pipeline;
  private final RecompressorMetrics metrics;
  private final RecompressorStore store;
  private final ModelChunkAssembler assembler = new ModelChunkAssembler();
  private final ImpressionCodec impressionCodec = new ImpressionCodec(WireFormat.AUTO, 100_000);
  private final List<RecompressionListener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object lifecycle = new Object();

  private KafkaConsumer<byte[], byte[]> updatesConsumer;
  private KafkaConsumer<byte[], byte[]> dataConsumer;
  private ModelPublisher publisher;
  private Thread thread;
  private volatile Throwable failure;
  private long pendingFullVersion = -1;
  private boolean waitingLogged;
  private long lastCommitMs;
  private long lastTriggeredRunMs;
  private long driftVersion = -1;
  private double driftLoglossSum;
  private long driftCount;

  /** Listener of finished runs (the demo's status line, tests). */
  @FunctionalInterface
  public interface RecompressionListener {
    /** Called on the service thread after each run. */
    void onOutcome(RecompressionOutcome outcome);
  }

  /**
   * A service; opens the RocksDB state now, connects on {@link #start()}.
   *
   * @param registry where the metrics are registered
   */
  public RecompressorService(RecompressorConfig config, CompressionPipeline pipeline, PrometheusRegistry registry) {
    this.config = Objects.requireNonNull(config, "config");
    this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
    this.metrics = new RecompressorMetrics(registry);
    this.store = new RecompressorStore(config.stateDir(), config.reservoirSize(), config.holdoutSize(), 0x5EED_CA11L);
    metrics.stateSizes(Math.min(store.impressionsSeen(), config.reservoirSize()),
        Math.min(store.labeledSeen(), config.holdoutSize()));
  }

  /** Adds a listener of finished runs. */
  public void addListener(RecompressionListener l) {
    listeners.add(Objects.requireNonNull(l));
  }

  /** The local state (read it only when the service is stopped, or from a listener). */
  public RecompressorStore store() {
    return store;
  }

  /** Starts the service thread. */
  public RecompressorService start() {
    synchronized (lifecycle) {
      if (thread != null) {
        throw new IllegalStateException("recompressor already started");
      }
      updatesConsumer = new KafkaConsumer<>(config.consumerConfigs(null, config.groupId() + "-model-updates"));
      dataConsumer = new KafkaConsumer<>(config.consumerConfigs(config.groupId(), config.groupId() + "-data"));
      publisher = new ModelPublisher(config.producerConfigs(), config.modelsTopic());
      thread = new Thread(this::runLoop, "ctr-recompressor");
      thread.setDaemon(false);
      thread.start();
      return this;
    }
  }

  /** The failure that stopped the service thread, or null. */
  public Throwable failure() {
    return failure;
  }

  /** Whether the service thread is running. */
  public boolean isRunning() {
    Thread t = thread;
    return t != null && t.isAlive();
  }

  private void runLoop() {
    try {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo p : updatesConsumer.partitionsFor(config.modelUpdatesTopic(), Duration.ofSeconds(30))) {
        parts.add(new TopicPartition(p.topic(), p.partition()));
      }
      if (parts.isEmpty()) {
        throw new RecompressorException("topic " + config.modelUpdatesTopic() + " has no partitions (does it exist?)");
      }
      updatesConsumer.assign(parts);
      updatesConsumer.seekToBeginning(parts);
      dataConsumer.subscribe(List.of(config.impressionsTopic(), config.labeledTopic()));
      LOG.info("recompressor started: finished full version {}, published version {}, state {}",
          store.finishedFullVersion(), store.publishedVersion(), store.dir());
      while (!closed.get()) {
        pollUpdates();
        pollData();
        maybeRun();
      }
    } catch (WakeupException e) {
      if (!closed.get()) {
        failure = e;
      }
    } catch (RuntimeException | Error e) {
      failure = e;
      LOG.error("recompressor stopped: {}", e.toString(), e);
    } finally {
      try {
        try {
          commit();
        } catch (WakeupException e) {
          commit(); // close() woke this consumer too: the wakeup is spent, commit again
        }
      } catch (RuntimeException e) {
        LOG.warn("final offset commit failed: {}", e.toString());
      }
    }
  }

  private void pollUpdates() {
    for (ConsumerRecord<byte[], byte[]> r : updatesConsumer.poll(Duration.ofMillis(10))) {
      if (r.key() == null) {
        continue;
      }
      AssemblyResult res = assembler.accept(new String(r.key(), StandardCharsets.UTF_8), r.value());
      if (res instanceof AssemblyResult.Assembled a) {
        if (!a.model().equals(config.fullModelName())) {
          continue;
        }
        metrics.snapshotReceived();
        if (a.version() > store.fullModelVersion()) {
          store.putFullModel(a.version(), a.bytes());
        }
        if (a.version() > store.finishedFullVersion()) {
          pendingFullVersion = Math.max(pendingFullVersion, a.version());
          LOG.info("full snapshot {} v{} assembled ({} bytes)", a.model(), a.version(), a.size());
        } else {
          LOG.info("full snapshot {} v{} already finished; not redone", a.model(), a.version());
        }
      } else if (res instanceof AssemblyResult.Rejected rej && config.fullModelName().equals(rej.model())) {
        LOG.warn("snapshot record rejected: {} v{} {}: {}", rej.model(), rej.version(), rej.reason(), rej.message());
      }
    }
  }

  private void pollData() {
    ConsumerRecords<byte[], byte[]> recs = dataConsumer.poll(Duration.ofMillis(pendingFullVersion >= 0 ? 0 : 100));
    for (ConsumerRecord<byte[], byte[]> r : recs) {
      if (r.value() == null) {
        continue;
      }
      if (r.topic().equals(config.impressionsTopic())) {
        store.offerImpression(r.value());
      } else {
        store.addLabeled(r.value());
        trackDrift(r.value());
      }
    }
    long now = System.currentTimeMillis();
    if (now - lastCommitMs >= COMMIT_INTERVAL_MS) {
      commit();
      lastCommitMs = now;
      metrics.stateSizes(Math.min(store.impressionsSeen(), config.reservoirSize()),
          Math.min(store.labeledSeen(), config.holdoutSize()));
    }
  }

  private void commit() {
    if (dataConsumer == null || dataConsumer.assignment().isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : dataConsumer.assignment()) {
      offsets.put(tp, new OffsetAndMetadata(dataConsumer.position(tp)));
    }
    // RocksDB holds every record before its offset is committed (WAL; process crashes keep it).
    dataConsumer.commitSync(offsets);
  }

  private void trackDrift(byte[] value) {
    long published = store.publishedVersion();
    if (config.triggerDriftLogloss() <= 0 || published < 0) {
      return;
    }
    LabeledExample ex;
    try {
      ex = Schemas.LABELED_EXAMPLE.decode(value, null);
    } catch (RuntimeException e) {
      return; // counted nowhere: the holdout decode at run time reports bad records
    }
    if (!config.modelName().equals(ex.getModelName()) || ex.getModelVersion() != published) {
      return;
    }
    if (driftVersion != published) {
      driftVersion = published;
      driftLoglossSum = 0;
      driftCount = 0;
    }
    double p = Math.min(1 - 1e-7, Math.max(1e-7, ex.getServedPctr()));
    driftLoglossSum += ex.getLabel() == 1 ? -Math.log(p) : -Math.log(1 - p);
    driftCount++;
  }

  private void maybeRun() {
    if (store.impressionsSeen() < config.calibrationMinImpressions()) {
      // Compressing against no traffic would fail (AFM) or be blind (SVD): wait for impressions;
      // a pending snapshot stays pending.
      if (pendingFullVersion >= 0 && !waitingLogged) {
        LOG.info("full v{} waits for calibration data: {} of {} impressions", pendingFullVersion,
            store.impressionsSeen(), config.calibrationMinImpressions());
        waitingLogged = true;
      }
      return;
    }
    if (pendingFullVersion >= 0) {
      long v = pendingFullVersion;
      pendingFullVersion = -1;
      runOnce("snapshot", v);
      return;
    }
    long now = System.currentTimeMillis();
    long full = store.fullModelVersion();
    if (full < 0 || now - lastTriggeredRunMs < config.triggerMinIntervalMs()) {
      return;
    }
    long age = config.triggerMaxAgeMs();
    long last = store.lastSuccessMs();
    if (age > 0 && last > 0 && now - last > age) {
      lastTriggeredRunMs = now;
      runOnce("age", full);
      return;
    }
    double drift = config.triggerDriftLogloss();
    double base = store.gateLogloss();
    if (drift > 0 && !Double.isNaN(base) && driftCount >= config.holdoutMinRows()
        && driftLoglossSum / driftCount - base > drift) {
      LOG.info("drift: served logloss {} vs {} at the gate", driftLoglossSum / driftCount, base);
      lastTriggeredRunMs = now;
      driftCount = 0;
      driftLoglossSum = 0;
      runOnce("drift", full);
    }
  }

  /** One run over the stored full model; never throws (a failure is an outcome). */
  private void runOnce(String trigger, long fullVersion) {
    long t0 = System.nanoTime();
    byte[] fullBytes = store.fullModel();
    long storedVersion = store.fullModelVersion();
    RecompressionOutcome outcome;
    if (fullBytes == null || storedVersion != fullVersion) {
      // a newer snapshot replaced it in the meantime: that one is pending and runs next
      return;
    }
    long compressedBytes = 0;
    try {
      CtrModel full = CtrModel.fromFile(CtrmFormat.read(fullBytes));
      CompressionPipeline.CompressionData data = collectData();
      CtrModel candidate = pipeline.compress(full, data);
      byte[] candidateBytes = CtrmFormat.toBytes(candidate.toFile());
      compressedBytes = candidateBytes.length;
      Gate gate = gate(full, candidate, data);
      Map<String, Integer> ranks = ranks(candidate);
      if (!gate.passed) {
        store.markFinished(fullVersion, -1, System.currentTimeMillis(), Double.NaN);
        outcome = new RecompressionOutcome(trigger, fullVersion, -1, RecompressionOutcome.Status.REJECTED,
            gate.summary, fullBytes.length, compressedBytes, seconds(t0), ranks);
        LOG.warn("candidate from full v{} REJECTED ({}): {}", fullVersion, trigger, gate.summary);
      } else {
        long version = publish(full, fullVersion, fullBytes, candidate, candidateBytes.length, gate);
        store.markFinished(fullVersion, version, System.currentTimeMillis(), gate.candidateLogloss);
        outcome = new RecompressionOutcome(trigger, fullVersion, version, RecompressionOutcome.Status.ACCEPTED,
            gate.summary, fullBytes.length, compressedBytes, seconds(t0), ranks);
        LOG.info("published {} v{} compressed from {} v{} ({} -> {} bytes, {}): {}", config.modelName(), version,
            config.fullModelName(), fullVersion, fullBytes.length, compressedBytes, trigger, gate.summary);
      }
    } catch (RuntimeException e) {
      // A model the pipeline cannot handle must not stop the service: the next snapshot may work.
      store.markFinished(fullVersion, -1, System.currentTimeMillis(), Double.NaN);
      outcome = new RecompressionOutcome(trigger, fullVersion, -1, RecompressionOutcome.Status.FAILED,
          e.toString(), fullBytes.length, compressedBytes, seconds(t0), Map.of());
      LOG.error("recompression of full v{} failed: {}", fullVersion, e.toString(), e);
    }
    metrics.outcome(outcome);
    for (RecompressionListener l : listeners) {
      try {
        l.onOutcome(outcome);
      } catch (RuntimeException e) {
        LOG.warn("recompression listener failed: {}", e.toString());
      }
    }
  }

  private long publish(CtrModel full, long fullVersion, byte[] fullBytes, CtrModel candidate, long candidateBytes, Gate gate) {
    String shadow = config.shadowModelName();
    if (shadow != null && fullVersion > publisher.topicState(shadow).newestVersion()) {
      // The shadow is the exact teacher of the compressed model, so the topology's fidelity and
      // AUC comparison are between a candidate and its own source.
      CtrModel renamed = CtrModel.create(full.spec(), shadow, fullVersion, full.tensorMap(), full.vocabularies(),
          full.metadata());
      publisher.publish(shadow, fullVersion, CtrmFormat.toBytes(renamed.toFile()),
          Map.of("role", "shadow", "source-model", config.fullModelName()));
    }
    long version = Math.max(store.publishedVersion(), publisher.topicState(config.modelName()).newestVersion()) + 1;
    version = Math.max(version, 1);
    Map<String, String> meta = new LinkedHashMap<>(candidate.metadata());
    meta.put(ServedModel.COMPRESSED_FROM, Long.toString(fullVersion));
    meta.put("compressed-from-model", config.fullModelName());
    meta.put("full-bytes", Long.toString(fullBytes.length));
    meta.put("compressed-bytes", Long.toString(candidateBytes));
    meta.put(ServedModel.COMPRESSION_RATIO, String.format(Locale.ROOT, "%.4f", (double) fullBytes.length / candidateBytes));
    meta.put("gate", gate.summary);
    CtrModel out = CtrModel.create(candidate.spec(), config.modelName(), version, candidate.tensorMap(),
        candidate.vocabularies(), meta);
    Map<String, String> manifestMeta = new LinkedHashMap<>(meta);
    publisher.publish(config.modelName(), version, CtrmFormat.toBytes(out.toFile()), manifestMeta);
    return version;
  }

  /** Decodes the reservoir and the holdout into raw rows. */
  CompressionPipeline.CompressionData collectData() {
    List<Map<String, Object>> calib = new ArrayList<>();
    int cap = config.calibrationMaxRows();
    int bad = 0;
    for (byte[] v : store.reservoir()) {
      if (calib.size() >= cap) {
        break;
      }
      Impression imp;
      try {
        imp = impressionCodec.decode(v, 0);
      } catch (RuntimeException e) {
        bad++;
        continue;
      }
      for (Candidate c : imp.getCandidates()) {
        if (calib.size() >= cap) {
          break;
        }
        Map<String, Object> row = new HashMap<>(imp.getContext());
        row.putAll(c.getFeatures());
        calib.add(row);
      }
    }
    List<byte[]> hold = store.holdout();
    List<Map<String, Object>> rows = new ArrayList<>(hold.size());
    float[] labels = new float[hold.size()];
    for (byte[] v : hold) {
      LabeledExample ex;
      try {
        ex = Schemas.LABELED_EXAMPLE.decode(v, null);
      } catch (RuntimeException e) {
        bad++;
        continue;
      }
      Map<String, Object> row = new HashMap<>(ex.getContext());
      row.putAll(ex.getFeatures());
      labels[rows.size()] = ex.getLabel() == 1 ? 1f : 0f;
      rows.add(row);
    }
    if (bad > 0) {
      LOG.warn("{} reservoir/holdout records could not be decoded and were skipped", bad);
    }
    return new CompressionPipeline.CompressionData(calib, rows, java.util.Arrays.copyOf(labels, rows.size()));
  }

  /** Gate verdict with a one-line summary. */
  private record Gate(boolean passed, String summary, double candidateLogloss) {}

  private Gate gate(CtrModel full, CtrModel candidate, CompressionPipeline.CompressionData data) {
    int n = data.holdout().size();
    if (n >= config.holdoutMinRows()) {
      float[] pf = probabilities(full, data.holdout());
      float[] pc = probabilities(candidate, data.holdout());
      QualityGate.GateReport r = new QualityGate(thresholds()).evaluate(pf, pc, data.holdoutLabels(), n);
      String s = String.format(Locale.ROOT, "holdout n=%d auc %.4f->%.4f logloss %.4f->%.4f |dlogit| %.4f%s",
          n, r.aucFull(), r.aucCandidate(), r.loglossFull(), r.loglossCandidate(), r.meanAbsLogitDiff(),
          r.passed() ? "" : " FAILED: " + String.join("; ", r.failures()));
      return new Gate(r.passed(), s, r.loglossCandidate());
    }
    if (config.gateRequireHoldout()) {
      return new Gate(false, "holdout has " + n + " rows, gate.require.holdout needs " + config.holdoutMinRows(), Double.NaN);
    }
    List<Map<String, Object>> calib = data.calibration();
    if (calib.isEmpty()) {
      return new Gate(false, "no calibration rows and only " + n + " holdout rows: nothing to judge the candidate on",
          Double.NaN);
    }
    float[] lf = logits(full, calib);
    float[] lc = logits(candidate, calib);
    double diff = 0;
    for (int i = 0; i < lf.length; i++) {
      diff += Math.abs(lf[i] - lc[i]);
    }
    diff /= lf.length;
    boolean ok = diff <= config.gateMaxMeanAbsLogitDiff();
    String s = String.format(Locale.ROOT, "fidelity-only (holdout n=%d < %d) on %d calibration rows: |dlogit| %.4f%s",
        n, config.holdoutMinRows(), lf.length, diff,
        ok ? "" : String.format(Locale.ROOT, " FAILED: exceeds max mean |logit diff| %.4f",
            config.gateMaxMeanAbsLogitDiff()));
    return new Gate(ok, s, Double.NaN);
  }

  private GateThresholds thresholds() {
    return new GateThresholds(config.gateMaxAucDrop(), config.gateMaxLoglossRise(),
        config.gateMaxCalibrationShift(), config.gateMaxMeanAbsLogitDiff());
  }

  /** pCTR of each raw row. */
  static float[] probabilities(CtrModel model, List<Map<String, Object>> rows) {
    float[] out = logits(model, rows);
    for (int i = 0; i < out.length; i++) {
      out[i] = Scorer.sigmoid(out[i]);
    }
    return out;
  }

  /** Logit of each raw row (context and candidate fields encoded into one vector). */
  static float[] logits(CtrModel model, List<Map<String, Object>> rows) {
    Scorer s = model.scorer();
    FeatureVector v = model.encoder().newFeatureVector();
    float[] out = new float[rows.size()];
    for (int i = 0; i < out.length; i++) {
      v.clear();
      model.encoder().encode(rows.get(i), v);
      out[i] = s.scoreLogit(v, v);
    }
    return out;
  }

  /** Rank per compressed layer, from the candidate's low-rank config. */
  static Map<String, Integer> ranks(CtrModel candidate) {
    Map<String, Integer> out = new LinkedHashMap<>();
    LowRankConfig lr = candidate.spec().lowRank();
    if (lr == null) {
      return out;
    }
    if (lr.embeddingRank() > 0) {
      out.put("embedding", lr.embeddingRank());
    }
    for (Map.Entry<String, Integer> e : lr.fieldEmbeddingRanks().entrySet()) {
      if (e.getValue() > 0) {
        out.put("emb/" + e.getKey(), e.getValue());
      }
    }
    int[] mlp = lr.mlpRanks();
    for (int i = 0; mlp != null && i < mlp.length; i++) {
      if (mlp[i] > 0) {
        out.put("mlp/" + i, mlp[i]);
      }
    }
    int[] cross = lr.crossRanks();
    for (int i = 0; cross != null && i < cross.length; i++) {
      if (cross[i] > 0) {
        out.put("cross/" + i, cross[i]);
      }
    }
    return out;
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Stops the thread (waits for a running compression to finish), then closes clients and RocksDB. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (lifecycle) {
      if (dataConsumer != null) {
        dataConsumer.wakeup();
        updatesConsumer.wakeup();
      }
      if (thread != null) {
        try {
          thread.join(60_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (dataConsumer != null) {
        closeQuietly(dataConsumer);
        closeQuietly(updatesConsumer);
        closeQuietly(publisher);
      }
      store.close();
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("close failed: {}", e.toString());
    }
  }
}
