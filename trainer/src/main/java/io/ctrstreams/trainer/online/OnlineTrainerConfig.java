package io.ctrstreams.trainer.online;

import io.ctrstreams.model.delta.DeltaEncoder;
import io.ctrstreams.model.delta.GroupScale;
import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ServiceConfig;
import io.ctrstreams.trainer.exchange.ExchangeAlgorithm;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * Configuration of the continuous trainer ({@link ServiceConfig}: shared keys, Kafka client
 * configs, docs in docs/trainer-config.md).
 */
public final class OnlineTrainerConfig extends ServiceConfig {
  /** Source. */
  public static final String SOURCE_CONFIG = "source";
  /** Synthetic seed. */
  public static final String SYNTHETIC_SEED_CONFIG = "synthetic.seed";
  /** Throttle. */
  public static final String MAX_EXAMPLES_PER_SECOND_CONFIG = "max.examples.per.second";
  /** Architecture. */
  public static final String ARCHITECTURE_CONFIG = "model.architecture";
  /** Embedding dim. */
  public static final String EMBEDDING_DIM_CONFIG = "model.embedding.dim";
  /** Hash buckets. */
  public static final String HASH_BUCKETS_CONFIG = "model.hash.buckets";
  /** MLP. */
  public static final String MLP_CONFIG = "model.mlp";
  /** Batch size. */
  public static final String BATCH_SIZE_CONFIG = "batch.size";
  /** Snapshot interval. */
  public static final String SNAPSHOT_INTERVAL_MS_CONFIG = "snapshot.interval.ms";
  /** Snapshot examples. */
  public static final String SNAPSHOT_EXAMPLES_CONFIG = "snapshot.examples";
  /** Minimum examples before the first snapshot. */
  public static final String MIN_EXAMPLES_CONFIG = "snapshot.min.examples";
  /** Seed. */
  public static final String SEED_CONFIG = "seed";
  /** Hold out every n-th example (0 = none). */
  public static final String HOLDOUT_EVERY_CONFIG = "holdout.every";
  /** Holdout window capacity. */
  public static final String HOLDOUT_ROWS_CONFIG = "holdout.rows";
  /** Rows the window needs before the guard refuses. */
  public static final String HOLDOUT_MIN_ROWS_CONFIG = "holdout.min.rows";
  /** Largest holdout log loss increase a published snapshot may have over the last published one. */
  public static final String PUBLISH_MAX_HOLDOUT_LOGLOSS_INCREASE_CONFIG = "publish.max.holdout.logloss.increase";
  /** Delta stream on/off. */
  public static final String DELTA_ENABLED_CONFIG = "delta.enabled";
  /** Deltas topic. */
  public static final String DELTAS_TOPIC_CONFIG = "topic.model.deltas";
  /** Delta interval. */
  public static final String DELTA_INTERVAL_MS_CONFIG = "delta.interval.ms";
  /** Top-k ratio. */
  public static final String DELTA_TOPK_RATIO_CONFIG = "delta.topk.ratio";
  /** Value encoding. */
  public static final String DELTA_ENCODING_CONFIG = "delta.encoding";
  /** Top-k scope. */
  public static final String DELTA_TOPK_SCOPE_CONFIG = "delta.topk.scope";
  /** How the delta's units are ranked. */
  public static final String DELTA_SELECTION_CONFIG = "delta.selection";
  /** How a quantized group's scale travels. */
  public static final String DELTA_GROUP_SCALE_CONFIG = "delta.group.scale";
  /** Keyframe when the residual ratio exceeds this. */
  public static final String DELTA_KEYFRAME_RESIDUAL_RATIO_CONFIG = "delta.keyframe.residual.ratio";
  /** Retention of the deltas topic when created. */
  public static final String DELTA_RETENTION_MS_CONFIG = "delta.retention.ms";
  /** Data-parallel exchange on/off (issue 15). */
  public static final String EXCHANGE_ENABLED_CONFIG = "exchange.enabled";
  /** Exchange algorithm. */
  public static final String EXCHANGE_ALGORITHM_CONFIG = "exchange.algorithm";
  /** EControl eta. */
  public static final String EXCHANGE_ETA_CONFIG = "exchange.eta";
  /** EControl eta per tensor (its own contraction). */
  public static final String EXCHANGE_ETA_PER_TENSOR_CONFIG = "exchange.eta.per.tensor";
  /** EControl eta from the measured contraction: its scale (0 = off). */
  public static final String EXCHANGE_ETA_MEASURED_SCALE_CONFIG = "exchange.eta.measured.scale";
  /** Top-k ratio of the exchange. */
  public static final String EXCHANGE_TOPK_RATIO_CONFIG = "exchange.topk.ratio";
  /** Top-k ratio of the exchange's dense tensors. */
  public static final String EXCHANGE_DENSE_RATIO_CONFIG = "exchange.dense.ratio";
  /** Dense tensors whole in int8 blocks. */
  public static final String EXCHANGE_DENSE_INT8_CONFIG = "exchange.dense.int8";
  /** Where the shift of econtrol and ef21 acts. */
  public static final String EXCHANGE_SHIFT_CONFIG = "exchange.shift";
  /** Value encoding of the exchange. */
  public static final String EXCHANGE_VALUES_CONFIG = "exchange.values";
  /** Examples per worker per round. */
  public static final String EXCHANGE_ROUND_EXAMPLES_CONFIG = "exchange.round.examples";
  /** Exchange topic. */
  public static final String EXCHANGE_TOPIC_CONFIG = "topic.trainer.exchange";
  /** Round timeout. */
  public static final String EXCHANGE_ROUND_TIMEOUT_MS_CONFIG = "exchange.round.timeout.ms";
  /** Rounds between keyframes (snapshots published by the designated worker). */
  public static final String EXCHANGE_KEYFRAME_ROUNDS_CONFIG = "exchange.keyframe.rounds";
  /** Optimizer of the exchanged estimate. */
  public static final String EXCHANGE_UPDATE_CONFIG = "exchange.update";
  /** Static member id of this worker. */
  public static final String EXCHANGE_WORKER_ID_CONFIG = "exchange.worker.id";

  /** Largest delta record (topic max.message.bytes and producer max.request.size). */
  public static final int DELTA_MAX_RECORD_BYTES = 16 << 20;

  private static final ConfigDef DEF = new Definitions()
      .name(GROUP_ID_CONFIG, "ctr-trainer", Importance.MEDIUM,
          "Consumer group id of the labeled-topic source (offsets committed at each snapshot).")
      .metrics(9402, "/metrics")
      .group("Data")
      .name(MODEL_UPDATES_TOPIC_CONFIG, "model-updates", Importance.HIGH,
          "Topic the full-precision snapshots are published to (chunk + manifest transport).")
      .name(LABELED_TOPIC_CONFIG, "labeled", Importance.HIGH, "Labeled examples topic (source=labeled).")
      .define(SOURCE_CONFIG, Type.STRING, "labeled", ValidString.in("labeled", "synthetic"), Importance.HIGH,
          "labeled: train on the labeled topic; synthetic: train on the synthetic stream (same seed as the demo traffic, disjoint rows).")
      .define(SYNTHETIC_SEED_CONFIG, Type.LONG, 42L, Range.atLeast(0L), Importance.LOW, "Seed of the synthetic stream (source=synthetic).")
      .define(MAX_EXAMPLES_PER_SECOND_CONFIG, Type.DOUBLE, 0.0, Range.between(0.0, 1e9), Importance.LOW,
          "Cap on training throughput (source=synthetic), leaving CPU to the other services; 0 = none.")
      .group("Model")
      .name(MODEL_NAME_CONFIG, "ctr-full", Importance.HIGH, "Name of the published full model (the recompressor's full.model.name).")
      .define(ARCHITECTURE_CONFIG, Type.STRING, "dnn", ValidString.in("dnn", "deepfm", "dcnv2"), Importance.MEDIUM,
          "Architecture of the trained model: dnn, deepfm or dcnv2.")
      .define(EMBEDDING_DIM_CONFIG, Type.INT, 8, Range.between(1, 1024), Importance.MEDIUM, "Embedding dimension of every field.")
      .define(HASH_BUCKETS_CONFIG, Type.INT, 2_000, Range.between(1, 100_000_000), Importance.MEDIUM,
          "Hashed rows per categorical field (online training has no vocabulary pass); numeric fields get log buckets.")
      .define(MLP_CONFIG, Type.LIST, "128,64", intList("layer size", 1), Importance.MEDIUM, "Hidden layer sizes, comma separated.")
      .group("Training and snapshots")
      .define(BATCH_SIZE_CONFIG, Type.INT, 256, Range.between(1, 1_000_000), Importance.MEDIUM, "Mini-batch size of each optimisation step.")
      .define(SNAPSHOT_INTERVAL_MS_CONFIG, Type.LONG, 20_000L, Range.between(0L, 7L * 24 * 3600 * 1000), Importance.HIGH,
          "Publish a snapshot this often (wall clock); 0 = only by example count.")
      .define(SNAPSHOT_EXAMPLES_CONFIG, Type.LONG, 0L, Range.atLeast(0L), Importance.MEDIUM,
          "Publish a snapshot after this many examples since the last one; 0 = only by time.")
      .define(MIN_EXAMPLES_CONFIG, Type.LONG, 1_000L, Range.atLeast(0L), Importance.LOW,
          "Examples trained before the first snapshot may be published (no half-initialised models).")
      .define(SEED_CONFIG, Type.LONG, 7L, Range.atLeast(0L), Importance.LOW, "Seed of weight initialisation and shuffling.")
      .group("Holdout publish guard")
      .define(HOLDOUT_EVERY_CONFIG, Type.INT, 0, Range.atLeast(0), Importance.MEDIUM,
          "Hold out every n-th example from training into the holdout window, and guard publishing with it (see "
              + PUBLISH_MAX_HOLDOUT_LOGLOSS_INCREASE_CONFIG + "); 0 = train on every example, publish every snapshot. "
              + "E.g. 20 holds out 5%. Must not be 1; not with exchange.enabled.")
      .define(HOLDOUT_ROWS_CONFIG, Type.INT, 5_000, Range.between(1, 10_000_000), Importance.LOW,
          "Capacity of the holdout window: the latest held-out examples, on which each snapshot and the last published one are scored.")
      .define(HOLDOUT_MIN_ROWS_CONFIG, Type.INT, 200, Range.between(1, 10_000_000), Importance.LOW,
          "Snapshots are published unguarded until the holdout window holds this many rows (at most " + HOLDOUT_ROWS_CONFIG + ").")
      .define(PUBLISH_MAX_HOLDOUT_LOGLOSS_INCREASE_CONFIG, Type.DOUBLE, 0.01, Range.atLeast(0.0), Importance.MEDIUM,
          "A snapshot whose log loss on the holdout window exceeds the last published snapshot's (scored on the same window) "
              + "by more than this is not published (counted in ctr_trainer_snapshots_refused_total); the first snapshot "
              + "of a trainer that starts from scratch always is (one that resumes from a published snapshot judges against it). With delta.enabled the guard judges keyframes, and a refused keyframe pauses the deltas until "
              + "a keyframe passes. Finite, >= 0; only with " + HOLDOUT_EVERY_CONFIG + " > 0.")
      .group("Delta refresh (docs/model-deltas.md)")
      .define(DELTA_ENABLED_CONFIG, Type.BOOLEAN, false, null, Importance.MEDIUM,
          "Between snapshots, send compressed deltas with error feedback to topic.model.deltas; snapshots are the chain's keyframes.")
      .name(DELTAS_TOPIC_CONFIG, "model-deltas", Importance.MEDIUM,
          "Topic of the delta chain (cleanup.policy=delete, never compacted), key = model name.")
      .define(DELTA_INTERVAL_MS_CONFIG, Type.LONG, 1_000L, Range.between(10L, 3_600_000L), Importance.MEDIUM,
          "Send a delta this often (wall clock) while training goes on.")
      .define(DELTA_TOPK_RATIO_CONFIG, Type.DOUBLE, 0.01, Range.between(1e-6, 1.0), Importance.MEDIUM,
          "Top-k ratio of the compressor: per tensor the largest residuals (per embedding table whole rows by residual norm); the rest stays in the residual.")
      .define(DELTA_TOPK_SCOPE_CONFIG, Type.STRING, "model", ValidString.in("model", "tensor"), Importance.LOW,
          "How the top-k budget is spread: model (ratio x all values, to the units with the largest residual per value anywhere) or tensor (ratio x units of every tensor).")
      .define(DELTA_ENCODING_CONFIG, Type.STRING, "fp32", ValidString.in("fp32", "fp16", "int8", "int4", "int3", "int2"),
          Importance.LOW,
          "Value encoding of deltas: fp32 (exact), fp16 (half the bytes), or int8/int4/int3/int2: each sent row (or block of 32 values of another tensor) as b-bit integers with one bfloat16 scale, so the same bytes carry more values (with delta.topk.ratio=0.2, int3 gave 40x fewer bytes than snapshots and mean |dlogit| 0.003 on the Criteo-shape model: BENCHMARKS.md 6.2). Every rounding error stays in the residual.")
      .define(DELTA_SELECTION_CONFIG, Type.STRING, "residual", ValidString.in("residual", "fisher"), Importance.LOW,
          "How the units a delta sends are ranked: residual (squared residual per value) or fisher (squared residual weighted by the optimizer's mean squared gradient per value, Adam's v and Adagrad's accumulator per step: the rows and weights the traffic reads go first). The producer's choice alone: the wire and the consumers are the same. With int3, log4 scales and delta.topk.ratio=0.22, fisher brought the demo model to 43.4x fewer bytes than snapshots at mean |dlogit| 0.0057 (int3 alone at 0.2: 31x at 0.064; BENCHMARKS.md 6.3).")
      .define(DELTA_GROUP_SCALE_CONFIG, Type.STRING, "bf16", ValidString.in("bf16", "log4"), Importance.LOW,
          "Scale of each quantized group (int8 .. int2 only): bf16 (2 bytes per group) or log4 (a 4-bit code per group below one bfloat16 maximum per tensor, s = max * 2^(-k/2), rounded up so no integer clips: half a byte, which matters for narrow embedding rows; the integers of int4 .. int2 then travel Huffman-coded when that is shorter). Consumers must run a build that reads log4 (docs/model-deltas.md).")
      .define(DELTA_KEYFRAME_RESIDUAL_RATIO_CONFIG, Type.DOUBLE, 0.05, Range.between(1e-9, 1.0), Importance.LOW,
          "Publish a keyframe early when ||x - w|| / ||x|| (what the deltas have not carried yet) exceeds this.")
      .define(DELTA_RETENTION_MS_CONFIG, Type.LONG, 3_600_000L, Range.atLeast(60_000L), Importance.LOW,
          "retention.ms of the deltas topic when the trainer creates it; must cover at least two keyframe intervals (checked).")
      .group("Data-parallel exchange (issue 15, docs: io.ctrstreams.trainer.exchange)")
      .define(EXCHANGE_ENABLED_CONFIG, Type.BOOLEAN, false, null, Importance.MEDIUM,
          "Run as one worker of a data-parallel group: the workers share group.id over the labeled topic, train in synchronous rounds and exchange compressed gradients through topic.trainer.exchange.")
      .define(EXCHANGE_ALGORITHM_CONFIG, Type.STRING, "econtrol", ValidString.in("econtrol", "ef", "ef21", "none", "uncompressed"),
          Importance.MEDIUM, "Gradient exchange: econtrol (error control with eta), ef (classic error feedback), ef21, none (compressed, no feedback), uncompressed.")
      .define(EXCHANGE_ETA_CONFIG, Type.DOUBLE, -1.0, Range.between(-1.0, 1.0), Importance.LOW,
          "EControl's feedback strength eta >= 0; -1 = the compressor's contraction k/d (exchange.topk.ratio). Large eta diverges.")
      .define(EXCHANGE_ETA_PER_TENSOR_CONFIG, Type.BOOLEAN, false, null, Importance.LOW,
          "With exchange.eta = -1: econtrol's eta per tensor, each tensor's own contraction k_t/units_t (tables: exchange.topk.ratio, dense tensors: exchange.dense.ratio) instead of their minimum (ctr exchange-experiment --etas per-tensor; QUALITY.md section 5.3).")
      .define(EXCHANGE_ETA_MEASURED_SCALE_CONFIG, Type.DOUBLE, 0.0, Range.between(0.0, 1.0), Importance.LOW,
          "With exchange.eta = -1 and a value c in (0, 1]: econtrol's eta per tensor and round min(1, max(k_t/units_t, c * delta_t)), delta_t = 1 - ||x - C(x)||^2 / ||x||^2 the share of the compressed vector's energy the previous message carried (the floor is exchange.eta.per.tensor's value); only the sender's error return changes, not the wire. 0 = off. c = 0.2 gave a smaller gap to uncompressed than the per-tensor eta over ten seeds in each setting measured (ctr exchange-experiment --etas measured:0.2; QUALITY.md section 5.7).")
      .define(EXCHANGE_TOPK_RATIO_CONFIG, Type.DOUBLE, 0.01, Range.between(1e-6, 1.0), Importance.MEDIUM,
          "Top-k ratio per tensor of each worker's message (embedding tables: whole rows; dense tensors too unless exchange.dense.ratio is set).")
      .define(EXCHANGE_DENSE_RATIO_CONFIG, Type.DOUBLE, -1.0, Range.between(-1.0, 1.0), Importance.LOW,
          "Top-k ratio of the dense tensors (MLP weights and biases), in (0, 1]; -1 = exchange.topk.ratio. Their gradient is dense every round, a table's covers only the touched rows (ctr exchange-experiment --dense-ratio; QUALITY.md section 5.3).")
      .define(EXCHANGE_DENSE_INT8_CONFIG, Type.BOOLEAN, false, null, Importance.LOW,
          "Send the dense tensors whole as int8: blocks of 32 values, 8-bit integers times one bfloat16 scale, no index (about 1.06 bytes per value; the rounding error stays in e_i). Needs exchange.dense.ratio=1; every worker must agree (record version 3). With touched-rows, top-4% tables and eta measured at 0.2 it brought econtrol's mean gap to uncompressed within +0.001 / -0.001 over ten seeds at 1/30.4 of the bytes (ctr exchange-experiment --dense-values int8; QUALITY.md section 5.7).")
      .define(EXCHANGE_SHIFT_CONFIG, Type.STRING, "all", ValidString.in("all", "touched-rows"), Importance.LOW,
          "Where the shift h_i of econtrol and ef21 acts: all (the paper, every coordinate every round) or touched-rows (an embedding row's shift only in rounds whose gradient touches the row; the row masks travel with the messages). ctr exchange-experiment --shift; QUALITY.md section 5.3.")
      .define(EXCHANGE_VALUES_CONFIG, Type.STRING, "fp16", ValidString.in("fp16", "fp32"), Importance.LOW,
          "Value encoding of the exchanged messages (fp16 rounding error stays in the worker's error e_i).")
      .define(EXCHANGE_ROUND_EXAMPLES_CONFIG, Type.INT, 256, Range.between(1, 1_000_000), Importance.MEDIUM,
          "Examples each worker trains per synchronous round (one gradient, one message).")
      .name(EXCHANGE_TOPIC_CONFIG, "trainer-exchange", Importance.MEDIUM,
          "Topic the workers' messages go through (one partition, cleanup.policy=delete).")
      .define(EXCHANGE_ROUND_TIMEOUT_MS_CONFIG, Type.LONG, 60_000L, Range.between(100L, 3_600_000L), Importance.LOW,
          "A round that has not received every worker's message by then fails the worker (a dead worker normally ends the round earlier, through the group's rebalance).")
      .define(EXCHANGE_KEYFRAME_ROUNDS_CONFIG, Type.INT, 100, Range.between(1, 10_000_000), Importance.MEDIUM,
          "Rounds between keyframes: the designated worker (slot 0) publishes a snapshot; every worker commits its offsets; a new epoch resumes from the newest one.")
      .define(EXCHANGE_UPDATE_CONFIG, Type.STRING, "adaptive", ValidString.in("adaptive", "sgd"), Importance.LOW,
          "How the estimate hbar + Dbar updates the weights: adaptive (Adam + Adagrad, as the single trainer) or sgd (the setting the theory covers).")
      .define(EXCHANGE_WORKER_ID_CONFIG, Type.STRING, "", null, Importance.MEDIUM,
          "This worker's stable id (the consumer's group.instance.id: static membership); required with exchange.enabled.")
      .build();

  /** Parses and cross-checks {@code props}; unknown keys are kept for the Kafka clients. */
  public OnlineTrainerConfig(Map<?, ?> props) {
    super(DEF, props);
  }

  @Override
  protected void crossCheck() {
    if (!(exchangeEtaRaw() == -1.0 || (exchangeEtaRaw() >= 0 && exchangeEtaRaw() <= 1))) {
      throw new ConfigException(EXCHANGE_ETA_CONFIG, exchangeEtaRaw(), "must be in [0, 1], or -1 for the default k/d");
    }
    if (getBoolean(EXCHANGE_ETA_PER_TENSOR_CONFIG) && exchangeEtaRaw() != -1.0) {
      throw new ConfigException(EXCHANGE_ETA_PER_TENSOR_CONFIG, true, "needs " + EXCHANGE_ETA_CONFIG
          + " = -1 (the per-tensor default), found " + EXCHANGE_ETA_CONFIG + " = " + exchangeEtaRaw());
    }
    if (exchangeEtaMeasuredScale() > 0 && exchangeEtaRaw() != -1.0) {
      throw new ConfigException(EXCHANGE_ETA_MEASURED_SCALE_CONFIG, exchangeEtaMeasuredScale(), "needs "
          + EXCHANGE_ETA_CONFIG + " = -1 (measured eta replaces the default), found " + EXCHANGE_ETA_CONFIG + " = "
          + exchangeEtaRaw());
    }
    double dense = getDouble(EXCHANGE_DENSE_RATIO_CONFIG);
    if (!(dense == -1.0 || (dense > 0 && dense <= 1))) {
      throw new ConfigException(EXCHANGE_DENSE_RATIO_CONFIG, dense, "must be in (0, 1], or -1 for exchange.topk.ratio");
    }
    if (exchangeDenseInt8() && exchangeDenseRatio() != 1.0) {
      throw new ConfigException(EXCHANGE_DENSE_INT8_CONFIG, true, "needs " + EXCHANGE_DENSE_RATIO_CONFIG
          + " = 1 (the dense tensors sent whole), found " + EXCHANGE_DENSE_RATIO_CONFIG + " = " + exchangeDenseRatio());
    }
    if (exchangeEnabled() && exchangeWorkerId().isBlank()) {
      throw new ConfigException(EXCHANGE_WORKER_ID_CONFIG, exchangeWorkerId(),
          "must name this worker (a stable id, used as group.instance.id) when " + EXCHANGE_ENABLED_CONFIG + " is true");
    }
    if (exchangeEnabled() && syntheticSource()) {
      throw new ConfigException(SOURCE_CONFIG, "synthetic",
          "the data-parallel exchange splits the labeled topic among the workers: use source=labeled");
    }
    if (holdoutEvery() == 1) {
      throw new ConfigException(HOLDOUT_EVERY_CONFIG, 1, "would hold out every example and train on none: use 0 (off) or >= 2");
    }
    if (holdoutEvery() > 0 && exchangeEnabled()) {
      throw new ConfigException(HOLDOUT_EVERY_CONFIG, holdoutEvery(), "the holdout publish guard runs in the single "
          + "trainer only; a data-parallel worker (" + EXCHANGE_ENABLED_CONFIG + "=true) would ignore it: set 0");
    }
    if (!Double.isFinite(publishMaxHoldoutLoglossIncrease())) {
      throw new ConfigException(PUBLISH_MAX_HOLDOUT_LOGLOSS_INCREASE_CONFIG, publishMaxHoldoutLoglossIncrease(),
          "must be a finite log loss increase >= 0 (to publish every snapshot, set " + HOLDOUT_EVERY_CONFIG + "=0)");
    }
    if (holdoutMinRows() > holdoutRows()) {
      throw new ConfigException(HOLDOUT_MIN_ROWS_CONFIG, holdoutMinRows(),
          "exceeds " + HOLDOUT_ROWS_CONFIG + " = " + holdoutRows() + ": the window could never hold enough rows to guard");
    }
    if (snapshotIntervalMs() == 0 && snapshotExamples() == 0) {
      throw new ConfigException(SNAPSHOT_INTERVAL_MS_CONFIG, 0,
          "and " + SNAPSHOT_EXAMPLES_CONFIG + " are both 0: no snapshot would ever be published");
    }
    if (deltaGroupScale() == GroupScale.LOG4 && !deltaEncoding().quantized()) {
      throw new ConfigException(DELTA_GROUP_SCALE_CONFIG, getString(DELTA_GROUP_SCALE_CONFIG),
          "scales groups of integers, but " + DELTA_ENCODING_CONFIG + " = " + getString(DELTA_ENCODING_CONFIG)
              + " sends floats: use int8, int4, int3 or int2, or bf16");
    }
    if (deltaEnabled() && snapshotIntervalMs() > 0 && deltaRetentionMs() < 2 * snapshotIntervalMs()) {
      throw new ConfigException(DELTA_RETENTION_MS_CONFIG, deltaRetentionMs(),
          "must be at least two keyframe intervals (2 x " + SNAPSHOT_INTERVAL_MS_CONFIG + " = "
              + 2 * snapshotIntervalMs() + "): a consumer restarting on the newest keyframe must find its deltas");
    }
  }

  /** Whether this trainer is a worker of a data-parallel group. */
  public boolean exchangeEnabled() {
    return getBoolean(EXCHANGE_ENABLED_CONFIG);
  }

  /** The exchange algorithm. */
  public ExchangeAlgorithm exchangeAlgorithm() {
    return ExchangeAlgorithm.parse(getString(EXCHANGE_ALGORITHM_CONFIG));
  }

  private double exchangeEtaRaw() {
    return getDouble(EXCHANGE_ETA_CONFIG);
  }

  /** EControl's eta; NaN = the default for the compressor. */
  public double exchangeEta() {
    return exchangeEtaRaw() == -1.0 ? Double.NaN : exchangeEtaRaw();
  }

  /** Top-k ratio of the exchange. */
  public double exchangeTopkRatio() {
    return getDouble(EXCHANGE_TOPK_RATIO_CONFIG);
  }

  /** Whether econtrol's default eta is taken per tensor ({@code k_t / units_t}). */
  public boolean exchangeEtaPerTensor() {
    return getBoolean(EXCHANGE_ETA_PER_TENSOR_CONFIG);
  }

  /** The scale of econtrol's measured eta per tensor; 0 = off. */
  public double exchangeEtaMeasuredScale() {
    return getDouble(EXCHANGE_ETA_MEASURED_SCALE_CONFIG);
  }

  /** Top-k ratio of the exchange's dense tensors ({@link #exchangeTopkRatio()} unless set). */
  public double exchangeDenseRatio() {
    double r = getDouble(EXCHANGE_DENSE_RATIO_CONFIG);
    return r == -1.0 ? exchangeTopkRatio() : r;
  }

  /** Whether the dense tensors travel whole in int8 blocks. */
  public boolean exchangeDenseInt8() {
    return getBoolean(EXCHANGE_DENSE_INT8_CONFIG);
  }

  /** Where the shift of econtrol and ef21 acts. */
  public io.ctrstreams.trainer.exchange.ShiftScope exchangeShift() {
    return io.ctrstreams.trainer.exchange.ShiftScope.parse(getString(EXCHANGE_SHIFT_CONFIG));
  }

  /** Value encoding of the exchange. */
  public ValueEncoding exchangeValues() {
    return ValueEncoding.valueOf(getString(EXCHANGE_VALUES_CONFIG).toUpperCase(java.util.Locale.ROOT));
  }

  /** Examples per worker per round. */
  public int exchangeRoundExamples() {
    return getInt(EXCHANGE_ROUND_EXAMPLES_CONFIG);
  }

  /** The exchange topic. */
  public String exchangeTopic() {
    return getString(EXCHANGE_TOPIC_CONFIG);
  }

  /** Round timeout. */
  public long exchangeRoundTimeoutMs() {
    return getLong(EXCHANGE_ROUND_TIMEOUT_MS_CONFIG);
  }

  /** Rounds between keyframes. */
  public int exchangeKeyframeRounds() {
    return getInt(EXCHANGE_KEYFRAME_ROUNDS_CONFIG);
  }

  /** How the estimate updates the weights. */
  public io.ctrstreams.trainer.Trainer.Update exchangeUpdate() {
    return io.ctrstreams.trainer.Trainer.Update.valueOf(getString(EXCHANGE_UPDATE_CONFIG).toUpperCase(java.util.Locale.ROOT));
  }

  /** This worker's id. */
  public String exchangeWorkerId() {
    return getString(EXCHANGE_WORKER_ID_CONFIG);
  }



  /** Hold out every n-th example, 0 = none. */
  public int holdoutEvery() {
    return getInt(HOLDOUT_EVERY_CONFIG);
  }

  /** Holdout window capacity. */
  public int holdoutRows() {
    return getInt(HOLDOUT_ROWS_CONFIG);
  }

  /** Rows the window needs before the guard refuses. */
  public int holdoutMinRows() {
    return getInt(HOLDOUT_MIN_ROWS_CONFIG);
  }

  /** Largest allowed holdout log loss increase over the last published snapshot. */
  public double publishMaxHoldoutLoglossIncrease() {
    return getDouble(PUBLISH_MAX_HOLDOUT_LOGLOSS_INCREASE_CONFIG);
  }

  /** Delta interval. */
  public long deltaIntervalMs() {
    return getLong(DELTA_INTERVAL_MS_CONFIG);
  }

  /** Top-k ratio. */
  public double deltaTopkRatio() {
    return getDouble(DELTA_TOPK_RATIO_CONFIG);
  }

  /** Value encoding. */
  public ValueEncoding deltaEncoding() {
    return ValueEncoding.valueOf(getString(DELTA_ENCODING_CONFIG).toUpperCase(java.util.Locale.ROOT));
  }

  /** Top-k scope. */
  public DeltaEncoder.Scope deltaTopkScope() {
    return DeltaEncoder.Scope.valueOf(getString(DELTA_TOPK_SCOPE_CONFIG).toUpperCase(java.util.Locale.ROOT));
  }

  /** How a delta's units are ranked. */
  public DeltaEncoder.Selection deltaSelection() {
    return DeltaEncoder.Selection.valueOf(getString(DELTA_SELECTION_CONFIG).toUpperCase(java.util.Locale.ROOT));
  }

  /** How a quantized group's scale travels. */
  public GroupScale deltaGroupScale() {
    return GroupScale.valueOf(getString(DELTA_GROUP_SCALE_CONFIG).toUpperCase(java.util.Locale.ROOT));
  }

  /** Residual ratio that forces a keyframe. */
  public double keyframeResidualRatio() {
    return getDouble(DELTA_KEYFRAME_RESIDUAL_RATIO_CONFIG);
  }

  /** Retention of a created deltas topic. */
  public long deltaRetentionMs() {
    return getLong(DELTA_RETENTION_MS_CONFIG);
  }

  /** The definitions (for docs and tooling). */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }

  /** The settings reference as Markdown, generated from the definitions. */
  public static String toMarkdown() {
    return toMarkdown(DEF, "trainer", OnlineTrainerConfig.class, CLIENT_PASS_THROUGH);
  }

  /** The snapshot topic, compacted, one partition (the labeled topic is the topology's). */
  @Override
  public List<NewTopic> requiredTopics() {
    List<NewTopic> out = new java.util.ArrayList<>();
    out.add(KafkaTopics.compacted(modelUpdatesTopic(), 1));
    if (exchangeEnabled()) {
      out.add(KafkaTopics.plain(exchangeTopic(), 1).configs(Map.of("cleanup.policy", "delete",
          "retention.ms", "3600000", "max.message.bytes", Integer.toString(DELTA_MAX_RECORD_BYTES))));
    }
    if (!deltaEnabled()) {
      return out;
    }
    NewTopic deltas = KafkaTopics.plain(deltasTopic(), 1).configs(Map.of(
        "cleanup.policy", "delete", "retention.ms", Long.toString(deltaRetentionMs()),
        "max.message.bytes", Integer.toString(DELTA_MAX_RECORD_BYTES)));
    out.add(deltas);
    return out;
  }

  /** Whether to train on the synthetic stream instead of the labeled topic. */
  public boolean syntheticSource() {
    return "synthetic".equals(getString(SOURCE_CONFIG));
  }

  /** Synthetic seed. */
  public long syntheticSeed() {
    return getLong(SYNTHETIC_SEED_CONFIG);
  }

  /** Throttle, 0 = none. */
  public double maxExamplesPerSecond() {
    return getDouble(MAX_EXAMPLES_PER_SECOND_CONFIG);
  }

  /** dnn, deepfm or dcnv2. */
  public String architecture() {
    return getString(ARCHITECTURE_CONFIG);
  }

  /** Embedding dim. */
  public int embeddingDim() {
    return getInt(EMBEDDING_DIM_CONFIG);
  }

  /** Hash buckets per categorical field. */
  public int hashBuckets() {
    return getInt(HASH_BUCKETS_CONFIG);
  }

  /** Hidden layer sizes. */
  public int[] mlp() {
    return getIntList(MLP_CONFIG);
  }

  /** Mini-batch size. */
  public int batchSize() {
    return getInt(BATCH_SIZE_CONFIG);
  }

  /** Snapshot interval, 0 = off. */
  public long snapshotIntervalMs() {
    return getLong(SNAPSHOT_INTERVAL_MS_CONFIG);
  }

  /** Examples per snapshot, 0 = off. */
  public long snapshotExamples() {
    return getLong(SNAPSHOT_EXAMPLES_CONFIG);
  }

  /** Examples before the first snapshot. */
  public long minExamples() {
    return getLong(MIN_EXAMPLES_CONFIG);
  }

  /** Seed. */
  public long seed() {
    return getLong(SEED_CONFIG);
  }
}
