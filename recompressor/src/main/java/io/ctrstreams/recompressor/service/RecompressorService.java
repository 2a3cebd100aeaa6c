package io.ctrstreams.recompressor.service;

import io.ctrstreams.CtrException;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.model.format.ReadOptions;
import io.ctrstreams.recompressor.RecompressorException;
import io.ctrstreams.recompressor.gate.QualityGate;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.LabeledExample;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.serving.AssemblyResult;
import io.ctrstreams.serving.DeltaFollower;
import io.ctrstreams.serving.DeltaRecords;
import io.ctrstreams.serving.ModelChunkAssembler;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.ModelTopicFollower;
import io.ctrstreams.serving.ServingException;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming recompressor: a poll loop on one thread ({@code ctr-recompressor}) that
 *
 * <ol>
 *   <li>takes the newest full snapshot of {@code full.model.name} from a {@link ModelTopicFollower}
 *       of the model-updates topic (read from the beginning on every start: it is compacted and
 *       the publisher tombstones old versions, so this is the latest one or two snapshots) and
 *       keeps it, in its chunks, in RocksDB;
 *   <li>consumes impressions and labeled examples in a consumer group, writing them into the
 *       calibration reservoir and the holdout ring before committing their offsets
 *       (at-least-once: after a crash a few records may be sampled twice, which a uniform
 *       sample tolerates);
 *   <li>asks the {@link TriggerPolicy} whether a run is due (a new snapshot, age, drift), runs the
 *       {@link CompressionPipeline}, lets the {@link QualityGate} judge the candidate against the
 *       full model and, if accepted, publishes it through the {@link CandidatePublisher}; a
 *       rejected candidate is logged and counted.
 * </ol>
 *
 * <p>Restart safety: the finished full version is written (synced) to RocksDB after each run, so
 * a restart between snapshots does not redo (or republish) it. A crash between the publish and
 * that write republishes once under a new version number — harmless for consumers, which only
 * move forward.
 */
public final class RecompressorService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RecompressorService.class);
  private static final long COMMIT_INTERVAL_MS = 1_000;

  private final RecompressorConfig config;
  private final CompressionPipeline pipeline;
  private final RecompressorMetrics metrics;
  private final RecompressorStore store;
  private final TriggerPolicy policy;
  private final QualityGate gate;
  private final ModelChunkAssembler assembler = new ModelChunkAssembler();
  /** The newest full snapshot the follower assembled and the loop has not stored yet. */
  private final AtomicReference<AssemblyResult.Assembled> arrived = new AtomicReference<>();
  private final ImpressionCodec impressionCodec = new ImpressionCodec(WireFormat.AUTO, 100_000);
  private final List<RecompressionListener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object lifecycle = new Object();

  private ModelTopicFollower follower;
  private KafkaConsumer<byte[], byte[]> dataConsumer;
  private CandidatePublisher publisher;
  private Thread thread;
  private volatile Throwable failure;
  private long lastCommitMs;
  private ByteBuffer decodeBuffer;
  /** The delta relay's clients (delta.enabled), the live relay and what rebuilds it on a resync. */
  private KafkaConsumer<byte[], byte[]> deltaConsumer;
  private KafkaProducer<byte[], byte[]> deltaProducer;
  private TopicPartition deltasPartition;
  private DeltaRelay relay;
  private RelayInputs relayInputs;
  private long relayResyncAt = -1;
  private long relaySuppressUpTo;
  private volatile long deltasPublished;
  private double lastLoggedFidelity = Double.NaN;

  /** What a relay starts from: the published student, its full keyframe and the chain's first offset. */
  private record RelayInputs(long publishedVersion, CtrModel student, long fullVersion, CtrModel fullKeyframe,
      List<Map<String, Object>> calibration, long chainStart) {}

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
    this.policy = TriggerPolicy.of(config, Clock.systemUTC());
    this.gate = config.qualityGate();
    metrics.stateSizes(Math.min(store.impressionsSeen(), config.reservoirSize()),
        Math.min(store.labeledSeen(), config.holdoutSize()));
  }

  /** Adds a listener of finished runs. */
  public void addListener(RecompressionListener l) {
    listeners.add(Objects.requireNonNull(l));
  }

  /** Starts the follower and the service thread. */
  public RecompressorService start() {
    synchronized (lifecycle) {
      if (thread != null) {
        throw new IllegalStateException("recompressor already started");
      }
      dataConsumer = new KafkaConsumer<>(config.consumerConfigs(config.groupId(), config.groupId() + "-data"));
      follower = new ModelTopicFollower(config.consumerConfigs(null, config.groupId() + "-model-updates"),
          config.modelUpdatesTopic(), this::onUpdate);
      publisher = new CandidatePublisher(new ModelPublisher(config.producerConfigs(), config.modelsTopic()),
          config.modelName(), config.fullModelName(), config.shadowModelName());
      if (config.deltaEnabled()) {
        deltasPartition = new TopicPartition(config.deltasTopic(), 0);
        Map<String, Object> dc = config.consumerConfigs(null, config.groupId() + "-deltas");
        dc.put("max.partition.fetch.bytes", 16 << 20);
        deltaConsumer = new KafkaConsumer<>(dc);
        deltaConsumer.assign(List.of(deltasPartition));
        Map<String, Object> pc = new HashMap<>(config.producerConfigs());
        pc.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        pc.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        deltaProducer = new KafkaProducer<>(pc);
      }
      follower.start();
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

  private void runLoop() {
    try {
      dataConsumer.subscribe(List.of(config.impressionsTopic(), config.labeledTopic()));
      LOG.info("recompressor started: finished full version {}, published version {}, state {}",
          store.finishedFullVersion(), store.publishedVersion(), store.dir());
      if (deltaConsumer != null && store.publishedVersion() >= 0 && store.fullModelVersion() >= 0) {
        // the relay's state (the published student's chain) is not persisted: a fresh version of the
        // stored snapshot starts a new chain, which catches up with the full chain from its start
        policy.request("delta-restart");
      }
      while (!closed.get()) {
        Throwable f = follower.failure();
        if (f != null) {
          throw new RecompressorException("following " + config.modelUpdatesTopic() + " failed: " + f.getMessage(), f);
        }
        storeArrivedSnapshot();
        pollData();
        relayDeltas();
        TriggerPolicy.Run run = policy.next(store.impressionsSeen(), store.fullModelVersion(), store.lastSuccessMs(),
            store.gateLogloss());
        if (run != null) {
          runOnce(run);
        }
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

  /** On the follower's thread: assembles the model-updates topic, hands full snapshots over. */
  private void onUpdate(String key, byte[] value) {
    AssemblyResult res = assembler.accept(key, value);
    if (!res.model().equals(config.fullModelName())) {
      return;
    } else if (res instanceof AssemblyResult.Assembled a) {
      metrics.snapshotReceived();
      arrived.accumulateAndGet(a, (old, next) -> old == null || next.version() > old.version() ? next : old);
    } else if (res instanceof AssemblyResult.Rejected rej) {
      LOG.warn("snapshot record rejected: {} v{} {}: {}", rej.model(), rej.version(), rej.reason(), rej.message());
    }
  }

  private void storeArrivedSnapshot() {
    AssemblyResult.Assembled a = arrived.getAndSet(null);
    if (a == null) {
      return;
    }
    if (a.version() > store.fullModelVersion()) {
      store.putFullModel(a);
    }
    if (policy.snapshotStored(a.version(), store.finishedFullVersion())) {
      LOG.info("full snapshot {} v{} assembled ({} bytes)", a.model(), a.version(), a.size());
    } else {
      LOG.info("full snapshot {} v{} already finished; not redone", a.model(), a.version());
    }
  }

  private void pollData() {
    ConsumerRecords<byte[], byte[]> recs = dataConsumer.poll(Duration.ofMillis(policy.hasPending() ? 0 : 100));
    for (ConsumerRecord<byte[], byte[]> r : recs) {
      if (r.value() == null) {
        continue;
      }
      if (r.topic().equals(config.impressionsTopic())) {
        if (isValidImpression(r.value())) {
          store.offerImpression(r.value());
        } else {
          metrics.dropped("invalid", 1);
        }
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

  /** The topology's input rules (it dead-letters what fails them): nothing else is sampled. */
  private boolean isValidImpression(byte[] value) {
    try {
      impressionCodec.decode(value, 0);
      return true;
    } catch (CtrException e) {
      return false;
    }
  }

  private void trackDrift(byte[] value) {
    if (!policy.tracksDrift()) {
      return;
    }
    LabeledExample ex;
    try {
      ex = Schemas.LABELED_EXAMPLE.decode(value, null);
    } catch (RuntimeException e) {
      return; // counted nowhere: the holdout decode at run time reports bad records
    }
    policy.served(ex.getModelName(), ex.getModelVersion(), ex.getLabel() == 1, ex.getServedPctr(),
        store.publishedVersion());
  }

  /** One run over the stored full model; never throws (a failure is an outcome). */
  private void runOnce(TriggerPolicy.Run run) {
    long t0 = System.nanoTime();
    long fullVersion = run.fullVersion();
    AssemblyResult.Assembled full = store.fullModel();
    if (full == null || full.version() != fullVersion) {
      // a newer snapshot replaced it in the meantime: that one is pending and runs next
      return;
    }
    long compressedBytes = 0;
    RecompressionOutcome outcome;
    try {
      decodeBuffer = full.copyInto(decodeBuffer);
      CtrModel fullModel = CtrModel.fromFile(CtrmFormat.read(decodeBuffer, ReadOptions.defaults()));
      CompressionPipeline.CompressionData sampled = CompressionPipeline.CompressionData.decode(
          impressionCodec, store.reservoir(), store.holdout(), config.calibrationMaxRows());
      CompressionPipeline.CompressionData data = sampled.encodableBy(fullModel);
      int unencodable = sampled.droppedTo(data);
      if (unencodable > 0) {
        metrics.dropped("unencodable", unencodable);
        LOG.warn("{} sampled rows left out of the run: full v{} cannot encode them", unencodable, fullVersion);
      }
      CtrModel candidate = pipeline.compress(fullModel, data);
      byte[] candidateBytes = publisher.encode(candidate, fullVersion);
      compressedBytes = candidateBytes.length;
      QualityGate.Verdict verdict = gate.judge(fullModel, candidate, data.holdout(), data.holdoutLabels(),
          data.calibration());
      Map<String, String> candidateMeta = new LinkedHashMap<>(candidate.metadata());
      long chainStart = -1;
      if (verdict.passed() && deltaConsumer != null) {
        chainStart = deltaConsumer.endOffsets(List.of(deltasPartition), Duration.ofSeconds(30)).get(deltasPartition);
        candidateMeta.put(DeltaFollower.DELTA_TOPIC_KEY, config.deltasTopic());
        candidateMeta.put(DeltaFollower.DELTA_OFFSET_KEY, Long.toString(chainStart));
      }
      long version = verdict.passed()
          ? publisher.publish(full, candidateBytes, candidateMeta, verdict.summary(), store.publishedVersion())
          : -1;
      if (verdict.passed() && deltaConsumer != null) {
        startRelay(full, version, candidate, fullModel, data.calibration());
      }
      store.markFinished(fullVersion, version, policy.nowMs(), verdict.candidateLogloss());
      outcome = new RecompressionOutcome(run.trigger(), fullVersion, version,
          !verdict.passed() ? RecompressionOutcome.Status.REJECTED
              : verdict.withoutAuc() ? RecompressionOutcome.Status.ACCEPTED_WITHOUT_AUC : RecompressionOutcome.Status.ACCEPTED,
          verdict.summary(), full.size(), compressedBytes, seconds(t0), RecompressionOutcome.ranks(candidate));
      if (verdict.passed()) {
        LOG.info("published {} v{} compressed from {} v{} ({} -> {} bytes, {}): {}", config.modelName(), version,
            config.fullModelName(), fullVersion, full.size(), compressedBytes, run.trigger(), verdict.summary());
      } else {
        LOG.warn("candidate from full v{} REJECTED ({}): {}", fullVersion, run.trigger(), verdict.summary());
      }
    } catch (RuntimeException e) {
      // A model the pipeline cannot handle must not stop the service: the next snapshot may work.
      store.markFinished(fullVersion, -1, policy.nowMs(), Double.NaN);
      outcome = new RecompressionOutcome(run.trigger(), fullVersion, -1, RecompressionOutcome.Status.FAILED,
          e.toString(), full.size(), compressedBytes, seconds(t0), Map.of());
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

  /** After a publish: follows the full chain of the snapshot the new version was compressed from. */
  private void startRelay(AssemblyResult.Assembled full, long version, CtrModel student, CtrModel fullModel,
      List<Map<String, Object>> calibration) {
    relay = null;
    String at = full.manifest().getMetadata().get(DeltaFollower.DELTA_OFFSET_KEY);
    if (at == null) {
      LOG.info("full v{} names no delta chain ({} unset): no deltas for {} v{} until a keyframe that has one",
          full.version(), DeltaFollower.DELTA_OFFSET_KEY, config.modelName(), version);
      return;
    }
    List<Map<String, Object>> calib = calibration.size() > 500 ? List.copyOf(calibration.subList(0, 500))
        : List.copyOf(calibration);
    relayInputs = new RelayInputs(version, student, full.version(), fullModel, calib, Long.parseLong(at));
    relayResyncAt = -1;
    relaySuppressUpTo = 0;
    openRelay();
  }

  private void openRelay() {
    RelayInputs in = relayInputs;
    relay = new DeltaRelay(config.modelName(), in.publishedVersion(), in.student(), in.fullVersion(), in.fullKeyframe(),
        in.calibration(), config.maxMeanAbsLogitDiff(), config.deltaFidelityIntervalMs(), policy.nowMs(),
        new DeltaRelay.Encoding(config.deltaRelayEncoding(), config.deltaRelayTopkRatio(), config.deltaRelayGroupScale()));
    deltaConsumer.seek(deltasPartition, in.chainStart());
    LOG.info("delta relay: {} v{} follows the chain of {} v{} from offset {}", config.modelName(),
        in.publishedVersion(), config.fullModelName(), in.fullVersion(), in.chainStart());
  }

  /** Projects the full chain's new deltas onto the published student and sends them (delta.enabled). */
  private void relayDeltas() {
    if (relay == null) {
      return;
    }
    byte[] fullKey = config.fullModelName().getBytes(StandardCharsets.UTF_8);
    for (ConsumerRecord<byte[], byte[]> r : deltaConsumer.poll(Duration.ZERO)) {
      if (r.key() == null || r.value() == null || !Arrays.equals(r.key(), fullKey)) {
        continue;
      }
      DeltaRelay.Step step;
      try {
        step = relay.accept(DeltaRecords.decode(r.value()), policy.nowMs());
      } catch (ServingException e) {
        step = new DeltaRelay.Step(DeltaRelay.Status.BROKEN, null, "malformed delta: " + e.getMessage());
      }
      if (relay.lastFidelity() != lastLoggedFidelity && !Double.isNaN(relay.lastFidelity())) {
        lastLoggedFidelity = relay.lastFidelity();
        metrics.fidelity(lastLoggedFidelity);
        LOG.info("delta relay: {} v{}+{} vs reconstructed {} v{}: mean |logit diff| {} on {} calibration rows",
            config.modelName(), relay.publishedVersion(), relay.sequence(), config.fullModelName(), relay.fullVersion(),
            String.format(java.util.Locale.ROOT, "%.4f", lastLoggedFidelity), relayInputs.calibration().size());
      }
      switch (step.status()) {
        case PUBLISH -> sendDelta(step.delta());
        case SKIP -> { }
        case REFACTORIZE -> {
          LOG.info("delta relay of {} v{} stops: {}; refactorizing", config.modelName(), relay.publishedVersion(),
              step.reason());
          metrics.relayStop("refactorize");
          relay = null;
          policy.request("delta-fidelity");
          return;
        }
        case BROKEN -> {
          resyncRelay(r.offset(), step.reason());
          return;
        }
        default -> throw new IllegalStateException(step.status().toString());
      }
    }
  }

  /** A broken full chain: read it again from its start once; a second failure at the same record stops the relay. */
  private void resyncRelay(long offset, String reason) {
    if (offset == relayResyncAt) {
      LOG.warn("full delta chain of {} v{} fails again at offset {} ({}): no deltas for {} v{} until the next keyframe",
          config.fullModelName(), relayInputs.fullVersion(), offset, reason, config.modelName(),
          relayInputs.publishedVersion());
      metrics.relayStop("broken");
      relay = null;
      return;
    }
    LOG.warn("full delta chain of {} v{} broken at offset {} ({}): resync from offset {}", config.fullModelName(),
        relayInputs.fullVersion(), offset, reason, relayInputs.chainStart());
    metrics.relayStop("resync");
    relayResyncAt = offset;
    relaySuppressUpTo = Math.max(relaySuppressUpTo, relay.sequence());
    openRelay(); // the same links are made again, bit for bit: those already sent are not sent twice
  }

  private void sendDelta(ModelDelta d) {
    if (d.sequence() <= relaySuppressUpTo) {
      return;
    }
    byte[] value = DeltaRecords.encode(d);
    deltaProducer.send(new ProducerRecord<>(config.deltasTopic(), 0, config.modelName().getBytes(StandardCharsets.UTF_8),
        value), (md, e) -> {
          if (e != null) {
            LOG.warn("compressed delta {} of {} v{} not sent: {}", d.sequence(), d.model(), d.baseVersion(), e.toString());
          }
        });
    metrics.deltaPublished(value.length);
    deltasPublished++;
  }

  /** Compressed deltas sent so far. */
  public long deltasPublished() {
    return deltasPublished;
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
        closeQuietly(follower);
        closeQuietly(publisher);
      }
      if (deltaConsumer != null) {
        closeQuietly(deltaConsumer);
        closeQuietly(deltaProducer);
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
