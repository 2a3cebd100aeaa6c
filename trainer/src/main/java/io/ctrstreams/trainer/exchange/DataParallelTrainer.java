package io.ctrstreams.trainer.exchange;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.ServiceThread;
import io.ctrstreams.trainer.Batch;
import io.ctrstreams.trainer.Features;
import io.ctrstreams.trainer.Trainer;
import io.ctrstreams.trainer.TrainerConfig;
import io.ctrstreams.trainer.TrainerException;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RawSchema;
import io.ctrstreams.trainer.online.LabeledTopicExampleSource;
import io.ctrstreams.trainer.online.OnlineModels;
import io.ctrstreams.trainer.online.OnlineTrainerConfig;
import io.ctrstreams.trainer.online.OnlineTrainers;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker of data-parallel online training ({@code ctr trainer} with {@code exchange.enabled}):
 * the workers share {@code group.id} over the labeled topic (static membership: {@code
 * exchange.worker.id} is the {@code group.instance.id}), so Kafka splits the partitions among
 * them, and train in synchronous rounds:
 *
 * <ol>
 *   <li>read {@code exchange.round.examples} examples, compute the mean gradient {@code g_i} at
 *       the shared weights x ({@link Trainer#gradient});
 *   <li>send {@code D_i} ({@link ExchangeWorker}) with the hash of x to the exchange topic (with
 *       {@code exchange.shift=touched-rows} the row masks {@code m_i} travel along: {@link
 *       ShiftScope}, {@link RowMasks}; {@code exchange.dense.ratio} gives the dense tensors their
 *       own top-k ratio, {@code exchange.eta.per.tensor} econtrol its eta per tensor);
 *   <li>read every worker's message of the round, check that all hashes agree, sum in slot
 *       order ({@link ExchangeAggregator}) and apply {@code hbar + Dbar} ({@link
 *       Trainer#applyGradient}): every replica stays bit-identical;
 *   <li>every {@code exchange.keyframe.rounds} rounds every worker commits its offsets and the
 *       designated worker (slot 0) publishes x as the next snapshot version (the keyframe).
 * </ol>
 *
 * <p><b>Epochs.</b> The epoch is the consumer group's generation; slots are the members'
 * instance ids in sorted order. On every rebalance (a worker died or joined) the round in flight
 * is abandoned and a new epoch starts: e, h and hbar reset, every worker reloads the newest
 * keyframe from the model-updates topic (or the seeded random init before the first) and rewinds
 * its partitions to the offsets committed with it, so nothing is trained twice into the same
 * model and no version is published twice. A round whose hashes disagree resyncs the same way.
 */
public final class DataParallelTrainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DataParallelTrainer.class);

  private final OnlineTrainerConfig config;
  private final ExchangeMetrics metrics;
  private final ServiceThread thread = new ServiceThread();
  private volatile boolean rebalanced = true;
  private volatile boolean haltMidRound;
  private volatile boolean perturbNextUpdate;
  private volatile int epoch = -1;
  private volatile int slot = -1;
  private volatile int workers;
  private volatile long rounds;
  private volatile long epochRounds;
  private volatile long mismatches;
  private volatile long published;
  private volatile long lastVersion = -1;
  private final List<Long> versions = new java.util.concurrent.CopyOnWriteArrayList<>();

  private LabeledTopicExampleSource source;
  private KafkaConsumer<byte[], byte[]> exchangeIn;
  private KafkaProducer<byte[], byte[]> exchangeOut;
  private ModelPublisher publisher;
  private Admin admin;
  private Trainer trainer;
  private ParamLayout layout;
  private WireExchange wire;
  private long round;
  /** Record values by "epoch/round", indexed by slot: decoded once the round is complete. */
  private final Map<String, byte[][]> inbox = new HashMap<>();
  private volatile boolean halted;
  private volatile long keyframeVersion;

  /** A worker; connects on {@link #start()}. */
  public DataParallelTrainer(OnlineTrainerConfig config, PrometheusRegistry registry) {
    this.config = Objects.requireNonNull(config, "config");
    if (!config.exchangeEnabled()) {
      throw new TrainerException(OnlineTrainerConfig.EXCHANGE_ENABLED_CONFIG + " is false: not a data-parallel worker");
    }
    this.metrics = new ExchangeMetrics(registry);
  }

  /** Starts the worker thread ({@code ctr-trainer-exchange}). */
  public synchronized DataParallelTrainer start() {
    thread.checkNotStarted("data-parallel trainer");
    thread.start("ctr-trainer-exchange", false, this::run, e -> LOG.error("worker {} stopped: {}",
        config.exchangeWorkerId(), e.toString(), e));
    return this;
  }

  private void connect() {
    Map<String, Object> out = config.producerConfigs();
    out.put(ProducerConfig.ACKS_CONFIG, "all");
    out.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    out.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    out.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, OnlineTrainerConfig.DELTA_MAX_RECORD_BYTES);
    out.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "ctr-trainer-exchange-" + config.exchangeWorkerId());
    exchangeOut = new KafkaProducer<>(out);
    Map<String, Object> in = config.consumerConfigs(null, "ctr-trainer-exchange-in-" + config.exchangeWorkerId());
    in.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, OnlineTrainerConfig.DELTA_MAX_RECORD_BYTES);
    exchangeIn = new KafkaConsumer<>(in, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    TopicPartition tp = new TopicPartition(config.exchangeTopic(), 0);
    exchangeIn.assign(List.of(tp));
    // Before joining the group: every message of an epoch this worker takes part in comes later.
    exchangeIn.seekToEnd(List.of(tp));
    exchangeIn.position(tp);
    admin = Admin.create(config.adminConfigs());
    publisher = new ModelPublisher(config.producerConfigs(), config.modelUpdatesTopic());
    Map<String, Object> labeled = config.consumerConfigs(config.groupId(), "ctr-trainer-" + config.exchangeWorkerId());
    labeled.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.exchangeWorkerId());
    labeled.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName());
    source = new LabeledTopicExampleSource(labeled, config.labeledTopic(), RawSchema.criteo(),
        new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> parts) {}

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> parts) {
            rebalanced = true;
          }

          @Override
          public void onPartitionsLost(Collection<TopicPartition> parts) {
            rebalanced = true;
          }
        });
  }

  private void run() {
    connect();
    RawSchema schema = RawSchema.criteo();
    ModelSpec spec = OnlineModels.spec(schema, config);
    RawRecord[] records = new RawRecord[config.exchangeRoundExamples()];
    for (int i = 0; i < records.length; i++) {
      records[i] = schema.newRecord();
    }
    while (!thread.stopping()) {
      if (rebalanced) {
        if (!startEpoch(spec)) {
          continue;
        }
      }
      long t0 = System.nanoTime();
      int have = 0;
      while (have < records.length && !rebalanced && !thread.stopping()) {
        RawRecord[] view = have == 0 ? records : java.util.Arrays.copyOfRange(records, have, records.length);
        have += source.next(view, 200);
      }
      if (rebalanced || thread.stopping()) {
        continue;
      }
      long t1 = System.nanoTime();
      float[] g = gradient(records, have);
      long t2 = System.nanoTime();
      long hash = trainer.weightsHash();
      byte[] bytes = wire.send(g, epoch, round, slot, hash);
      send(bytes);
      long t3 = System.nanoTime();
      if (haltMidRound) {
        LOG.warn("worker {} halted after sending round {} of epoch {}", config.exchangeWorkerId(), round, epoch);
        halted = true;
        return; // test hook: dies mid-round, without leaving the group
      }
      ExchangeMessage[] all = collect();
      if (all == null) {
        continue; // rebalance: a new epoch
      }
      long t4 = System.nanoTime();
      long received;
      boolean agree = true;
      for (int i = 0; i < all.length; i++) {
        agree &= all[i].weightsHash() == all[0].weightsHash();
      }
      received = receivedBytes;
      receivedBytes = 0;
      if (!agree) {
        mismatches++;
        metrics.mismatch();
        LOG.warn("round {} of epoch {}: weight hashes differ among workers; resync from the newest keyframe", round, epoch);
        resync(spec);
        round++;
        continue;
      }
      float[] est = estimate;
      wire.estimate(all, est);
      if (perturbNextUpdate) {
        perturbNextUpdate = false;
        est[0] += 1e-3f; // test hook: this replica's x leaves the others'
        LOG.warn("worker {} perturbed its update of round {} of epoch {}", config.exchangeWorkerId(), round, epoch);
      }
      trainer.applyGradient(est, config.exchangeUpdate());
      round++;
      rounds++;
      epochRounds++;
      long t5 = System.nanoTime();
      metrics.round((t5 - t0) / 1e9, bytes.length, received, wire.worker().errorNorm(), wire.worker().shiftNorm());
      metrics.phases((t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9, (t5 - t4) / 1e9);
      if (round % config.exchangeKeyframeRounds() == 0) {
        keyframe();
      }
    }
  }

  private long receivedBytes;

  /** Mean gradient over the round's examples, in trainer-batch chunks weighted by their size. */
  private float[] gradient(RawRecord[] records, int n) {
    float[] sum = roundGradient;
    float[] g = chunkGradient;
    java.util.Arrays.fill(sum, 0f);
    for (int off = 0; off < n; off += chunk.capacity()) {
      chunk.clear();
      int m = Math.min(chunk.capacity(), n - off);
      for (int k = 0; k < m; k++) {
        features.clear();
        Features.encode(encoder, records[off + k], features);
        chunk.add(features, records[off + k].label, Float.NaN);
      }
      trainer.gradient(chunk, g);
      float w = (float) m / n;
      for (int j = 0; j < g.length; j++) {
        sum[j] += w * g[j];
      }
    }
    return sum;
  }

  // round buffers, sized at each (re)sync: no allocation per round but the message bytes
  private float[] roundGradient;
  private float[] chunkGradient;
  private float[] estimate;
  private Batch chunk;
  private FeatureVector features;

  private FeatureEncoder encoder;

  private void send(byte[] bytes) {
    byte[] key = (config.modelName() + "/" + epoch + "/" + round + "/" + slot).getBytes(StandardCharsets.UTF_8);
    try {
      exchangeOut.send(new ProducerRecord<>(config.exchangeTopic(), 0, key, bytes)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrainerException("interrupted while sending round " + round);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new TrainerException("sending round " + round + " of epoch " + epoch + " to " + config.exchangeTopic()
          + " failed: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * Every slot's message of the current round, decoded into the {@link WireExchange}'s buffers
   * (one reused buffer per slot), or null when a rebalance interrupts.
   */
  private ExchangeMessage[] collect() {
    long deadline = System.currentTimeMillis() + config.exchangeRoundTimeoutMs();
    String key = epoch + "/" + round;
    while (true) {
      byte[][] got = inbox.get(key);
      if (got != null && got.length != workers) {
        LOG.warn("round {} of epoch {}: another worker counts {} workers, this one {}; describing the group again",
            round, epoch, got.length, workers);
        inbox.remove(key);
        rebalanced = true;
        return null;
      }
      if (got != null && java.util.Arrays.stream(got).allMatch(Objects::nonNull)) {
        inbox.remove(key);
        return wire.receive(got); // each checked when it arrived
      }
      if (thread.stopping()) {
        return null;
      }
      source.pollIdle(0);
      if (rebalanced) {
        return null;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new TrainerException("round " + round + " of epoch " + epoch + ": not every worker's message arrived within "
            + config.exchangeRoundTimeoutMs() + " ms (" + OnlineTrainerConfig.EXCHANGE_ROUND_TIMEOUT_MS_CONFIG + ")");
      }
      for (ConsumerRecord<byte[], byte[]> r : exchangeIn.poll(Duration.ofMillis(50))) {
        ExchangeMessage m;
        try {
          m = ExchangeMessage.decode(r.value(), layout, null); // the header and sizes; values when complete
        } catch (TrainerException e) {
          LOG.warn("skipping exchange record at offset {}: {}", r.offset(), e.getMessage());
          continue;
        }
        if (m.epoch() < epoch || (m.epoch() == epoch && m.round() < round) || m.slot() < 0
            || m.slot() >= m.workers()) {
          continue; // an older epoch's message, or a malformed one
        }
        // later epochs are kept: a worker that is still finishing the old epoch must not lose them
        inbox.computeIfAbsent(m.epoch() + "/" + m.round(), k -> new byte[m.workers()][])[m.slot()] = r.value();
        if (!(m.epoch() == epoch && m.slot() == slot)) {
          receivedBytes += r.serializedValueSize();
        }
      }
    }
  }

  /** Starts the epoch of the current generation; false when the membership is not settled yet. */
  private boolean startEpoch(ModelSpec spec) {
    rebalanced = false;
    source.pollIdle(100);
    int gen = source.generationId();
    if (gen < 0 || rebalanced) {
      return false;
    }
    List<String> members = new ArrayList<>();
    try {
      ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(config.groupId())).all().get()
          .get(config.groupId());
      for (MemberDescription m : g.members()) {
        members.add(m.groupInstanceId().orElse(m.consumerId()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrainerException("interrupted while describing group " + config.groupId());
    } catch (java.util.concurrent.ExecutionException e) {
      LOG.warn("describing group {} failed: {}", config.groupId(), e.getCause().toString());
      rebalanced = true;
      return false;
    }
    members.sort(null);
    int me = members.indexOf(config.exchangeWorkerId());
    if (me < 0) {
      rebalanced = true; // the description predates our join: ask again
      return false;
    }
    epoch = gen;
    slot = me;
    workers = members.size();
    inbox.keySet().removeIf(k -> Integer.parseInt(k.substring(0, k.indexOf('/'))) < gen);
    round = 0;
    epochRounds = 0;
    resync(spec);
    metrics.epoch(epoch, workers);
    LOG.info("worker {}: epoch {} with {} workers {}, slot {}", config.exchangeWorkerId(), epoch, workers, members, slot);
    return true;
  }

  /** Reloads the newest keyframe (or the seeded init), resets e, h and hbar, rewinds the source. */
  private void resync(ModelSpec spec) {
    Optional<CtrModel> last = OnlineTrainers.newestSnapshot(config);
    CtrModel start = last.filter(m -> m.spec().equals(spec)).orElseGet(() -> CtrModel.random(spec, config.seed()));
    if (trainer != null) {
      trainer.close();
    }
    TrainerConfig tc = TrainerConfig.defaults().withBatchSize(config.batchSize()).withSeed(config.seed()).withThreads(1)
        .withGemm("java");
    trainer = new Trainer(start, tc);
    encoder = start.encoder();
    ParamLayout.Builder lb = ParamLayout.builder();
    for (Trainer.FlatTensor t : trainer.flatLayout()) {
      lb.add(t.name(), t.length(), t.unit());
    }
    layout = lb.build();
    roundGradient = new float[layout.size()];
    chunkGradient = new float[layout.size()];
    estimate = new float[layout.size()];
    chunk = new Batch(spec.fieldCount(), config.batchSize());
    features = encoder.newFeatureVector();
    wire = new WireExchange(config.exchangeAlgorithm(), layout, workers, config.exchangeTopkRatio(),
        config.exchangeDenseRatio(), config.exchangeValues(),
        config.exchangeDenseInt8() ? ValueEncoding.INT8 : config.exchangeValues(), config.exchangeEta(),
        config.exchangeShift(),
        config.exchangeEtaPerTensor(),
        config.exchangeEtaMeasuredScale() > 0 ? config.exchangeEtaMeasuredScale() : Double.NaN);
    lastVersion = Math.max(lastVersion, last.map(CtrModel::version).orElse(0L));
    keyframeVersion = last.filter(m -> m.spec().equals(spec)).map(CtrModel::version).orElse(0L);
    source.rewindToCommitted();
  }

  /** Commits offsets (every worker); the designated worker publishes x as the next version. */
  private void keyframe() {
    source.commit();
    if (slot != 0) {
      return;
    }
    long version = Math.max(lastVersion, publisher.topicState(config.modelName()).newestVersion()) + 1;
    CtrModel x = trainer.toModel(config.modelName(), version, Map.of());
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("exchange-epoch", Integer.toString(epoch));
    meta.put("exchange-round", Long.toString(round));
    meta.put("exchange-workers", Integer.toString(workers));
    meta.put("exchange-algorithm", config.exchangeAlgorithm().configName());
    publisher.publish(config.modelName(), version, CtrmFormat.toBytes(x.toFile()), meta);
    lastVersion = version;
    versions.add(version);
    published++;
    LOG.info("worker {} published keyframe {} v{} at round {} of epoch {}", config.exchangeWorkerId(),
        config.modelName(), version, round, epoch);
  }

  /**
   * Test hook: the worker adds 1e-3 to the first value of its next estimate before applying it,
   * so its weights diverge from the other replicas' (as a lost bit or a non-deterministic
   * operation would make them); the hash of the following round exposes it.
   */
  void perturbNextUpdate() {
    perturbNextUpdate = true;
  }

  /** Test hook: the worker stops right after sending its next message, without leaving the group. */
  void haltMidRound() {
    haltMidRound = true;
  }

  public int epoch() {
    return epoch;
  }

  public int slot() {
    return slot;
  }

  public int workers() {
    return workers;
  }

  /** Version of the keyframe the current epoch (or the last resync) started from; 0 = the seeded init. */
  public long keyframeVersion() {
    return keyframeVersion;
  }

  /** Rounds completed in all epochs. */
  public long rounds() {
    return rounds;
  }

  /** Rounds completed in the current epoch. */
  public long epochRounds() {
    return epochRounds;
  }

  public long hashMismatches() {
    return mismatches;
  }

  /** Versions this worker published. */
  public List<Long> publishedVersions() {
    return List.copyOf(versions);
  }

  /** What stopped the thread, or null. */
  public Throwable failure() {
    return thread.failure();
  }

  /** Whether the test hook has stopped the worker. */
  boolean halted() {
    return halted;
  }

  @Override
  public synchronized void close() {
    thread.stop(60_000);
    closeClients();
  }

  private void closeClients() {
    for (AutoCloseable c : new AutoCloseable[] {source, exchangeIn, exchangeOut, publisher, admin, trainer}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          LOG.debug("closing {}: {}", c, e.toString());
        }
      }
    }
  }
}
