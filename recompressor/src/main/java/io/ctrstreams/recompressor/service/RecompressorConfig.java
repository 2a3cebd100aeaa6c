package io.ctrstreams.recompressor.service;

import io.ctrstreams.model.delta.GroupScale;
import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.recompressor.gate.GateThresholds;
import io.ctrstreams.recompressor.gate.QualityGate;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ServiceConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * Configuration of the recompressor service ({@link ServiceConfig}: shared keys, Kafka client
 * configs, docs in docs/recompressor-config.md); cross-setting checks throw naming the values
 * and the reason.
 */
public final class RecompressorConfig extends ServiceConfig {
  /** Name of the full model on model-updates. */
  public static final String FULL_MODEL_NAME_CONFIG = "full.model.name";
  /** RocksDB directory. */
  public static final String STATE_DIR_CONFIG = "state.dir";
  /** Reservoir size. */
  public static final String RESERVOIR_SIZE_CONFIG = "calibration.reservoir.size";
  /** Minimum impressions before a run. */
  public static final String CALIBRATION_MIN_IMPRESSIONS_CONFIG = "calibration.min.impressions";
  /** Calibration rows cap. */
  public static final String CALIBRATION_ROWS_CONFIG = "calibration.max.rows";
  /** Holdout size. */
  public static final String HOLDOUT_SIZE_CONFIG = "holdout.size";
  /** Minimum holdout for an AUC gate. */
  public static final String HOLDOUT_MIN_ROWS_CONFIG = "holdout.min.rows";
  /** Whether a holdout is mandatory. */
  public static final String GATE_REQUIRE_HOLDOUT_CONFIG = "gate.require.holdout";
  /** Gate: AUC drop. */
  public static final String GATE_MAX_AUC_DROP_CONFIG = "gate.max.auc.drop";
  /** Gate: logloss rise. */
  public static final String GATE_MAX_LOGLOSS_RISE_CONFIG = "gate.max.logloss.rise";
  /** Gate: calibration shift. */
  public static final String GATE_MAX_CALIBRATION_SHIFT_CONFIG = "gate.max.calibration.shift";
  /** Gate: fidelity. */
  public static final String GATE_MAX_LOGIT_DIFF_CONFIG = "gate.max.mean.abs.logit.diff";
  /** Gate: |calibration - 1| of the candidate's served (calibrated) pCTR. */
  public static final String GATE_MAX_CALIBRATION_ERROR_CONFIG = "gate.max.calibration.error";
  /** Age trigger. */
  public static final String TRIGGER_MAX_AGE_MS_CONFIG = "trigger.max.age.ms";
  /** Drift trigger. */
  public static final String TRIGGER_DRIFT_LOGLOSS_CONFIG = "trigger.drift.logloss";
  /** Cooldown between runs. */
  public static final String TRIGGER_MIN_INTERVAL_MS_CONFIG = "trigger.min.interval.ms";
  /** Compression method. */
  public static final String COMPRESSION_METHOD_CONFIG = "compression.method";
  /** Rank choice. */
  public static final String COMPRESSION_SEARCH_CONFIG = "compression.search";
  /** Target ratio. */
  public static final String COMPRESSION_RATIO_CONFIG = "compression.ratio";
  /** Fixed embedding rank. */
  public static final String COMPRESSION_EMBEDDING_RANK_CONFIG = "compression.embedding.rank";
  /** Fixed MLP ranks. */
  public static final String COMPRESSION_MLP_RANKS_CONFIG = "compression.mlp.ranks";
  /** Seed. */
  public static final String COMPRESSION_SEED_CONFIG = "compression.seed";
  /** Distillation steps. */
  public static final String COMPRESSION_DISTILL_STEPS_CONFIG = "compression.distill.steps";

  /** Fidelity check interval of the delta relay. */
  public static final String DELTA_FIDELITY_INTERVAL_MS_CONFIG = "delta.fidelity.interval.ms";
  /** Value encoding of the student's deltas. */
  public static final String DELTA_RELAY_ENCODING_CONFIG = "delta.relay.encoding";
  /** Top-k ratio of the student's deltas. */
  public static final String DELTA_RELAY_TOPK_RATIO_CONFIG = "delta.relay.topk.ratio";
  /** Scale form of the student's quantized groups. */
  public static final String DELTA_RELAY_GROUP_SCALE_CONFIG = "delta.relay.group.scale";

  private static final long MONTH_MS = 30L * 24 * 3600 * 1000;
  private static final ConfigDef DEF = new Definitions()
      .name(GROUP_ID_CONFIG, "ctr-recompressor", Importance.HIGH,
          "Consumer group id under which the offsets of the impressions and labeled topics are committed.")
      .metrics(9401, "/metrics")
      .group("Topics")
      .name(MODEL_UPDATES_TOPIC_CONFIG, "model-updates", Importance.HIGH,
          "Topic of full-precision snapshots (chunk + manifest transport, read from the beginning on every start).")
      .name(MODELS_TOPIC_CONFIG, "models", Importance.HIGH, "Compacted topic the accepted compressed models are published to.")
      .name(IMPRESSIONS_TOPIC_CONFIG, "impressions", Importance.HIGH, "Impressions topic; sampled into the calibration reservoir.")
      .name(LABELED_TOPIC_CONFIG, "labeled", Importance.HIGH, "Labeled examples topic; its latest records form the holdout window.")
      .group("Models")
      .name(FULL_MODEL_NAME_CONFIG, "ctr-full", Importance.HIGH, "Name of the full-precision model on the model-updates topic.")
      .name(MODEL_NAME_CONFIG, "ctr", Importance.HIGH, "Name under which compressed models are published (the topology's model.name).")
      .define(SHADOW_MODEL_NAME_CONFIG, Type.STRING, "ctr-full", null, Importance.MEDIUM,
          "When non-empty, each full snapshot that gets compressed is also published to the models topic under this name (before the compressed model), so the topology can score it as its shadow. Empty = off.")
      .define(STATE_DIR_CONFIG, Type.STRING, System.getProperty("java.io.tmpdir") + "/ctr-recompressor", new ConfigDef.NonEmptyString(),
          Importance.HIGH, "Directory of the RocksDB state (latest full model, reservoir, holdout, finished versions); reused on restart.")
      .group("Calibration and holdout")
      .define(RESERVOIR_SIZE_CONFIG, Type.INT, 2_000, Range.between(1, 1_000_000), Importance.MEDIUM,
          "Impressions kept in the calibration reservoir (uniform sample of all impressions seen, Vitter's algorithm R).")
      .define(CALIBRATION_MIN_IMPRESSIONS_CONFIG, Type.INT, 200, Range.between(1, 1_000_000), Importance.MEDIUM,
          "A snapshot waits until the reservoir holds this many impressions: AFM needs traffic to compress against.")
      .define(CALIBRATION_ROWS_CONFIG, Type.INT, 4_000, Range.between(1, 10_000_000), Importance.MEDIUM,
          "Cap on calibration rows (one per candidate) handed to the compression pipeline.")
      .define(HOLDOUT_SIZE_CONFIG, Type.INT, 5_000, Range.between(1, 10_000_000), Importance.MEDIUM,
          "Latest labeled examples kept as the gate's holdout window (a ring).")
      .define(HOLDOUT_MIN_ROWS_CONFIG, Type.INT, 300, Range.between(2, 10_000_000), Importance.MEDIUM,
          "Below this many labeled rows (e.g. before the first model served) the gate judges fidelity to the full model on calibration rows only (mean |logit diff|), unless gate.require.holdout.")
      .group("Quality gate")
      .define(GATE_REQUIRE_HOLDOUT_CONFIG, Type.BOOLEAN, false, null, Importance.MEDIUM,
          "Reject candidates while the holdout window has fewer than holdout.min.rows rows.")
      .define(GATE_MAX_AUC_DROP_CONFIG, Type.DOUBLE, 0.005, Range.between(0.0, 1.0), Importance.HIGH,
          "Largest accepted holdout AUC drop of the candidate versus the full model.")
      .define(GATE_MAX_LOGLOSS_RISE_CONFIG, Type.DOUBLE, 0.005, Range.between(0.0, 10.0), Importance.HIGH,
          "Largest accepted holdout logloss rise of the candidate versus the full model.")
      .define(GATE_MAX_CALIBRATION_SHIFT_CONFIG, Type.DOUBLE, 0.05, Range.between(0.0, 10.0), Importance.MEDIUM,
          "Largest accepted |calibration(candidate) - calibration(full)| on the holdout.")
      .define(GATE_MAX_LOGIT_DIFF_CONFIG, Type.DOUBLE, 0.25, Range.between(0.0, 100.0), Importance.MEDIUM,
          "Largest accepted mean |logit(full) - logit(candidate)|.")
      .define(GATE_MAX_CALIBRATION_ERROR_CONFIG, Type.DOUBLE, 0.02, Range.between(0.0, 10.0), Importance.MEDIUM,
          "Largest accepted |mean pCTR / observed CTR - 1| of the candidate's served pCTR (through the calibration map refitted on the holdout) on the holdout; not checked without positives.")
      .group("Triggers")
      .define(TRIGGER_MAX_AGE_MS_CONFIG, Type.LONG, 0L, Range.between(0L, MONTH_MS), Importance.LOW,
          "Recompress the latest full model with fresh calibration data when the last publish is older than this; 0 = off.")
      .define(TRIGGER_DRIFT_LOGLOSS_CONFIG, Type.DOUBLE, 0.0, Range.between(0.0, 10.0), Importance.LOW,
          "Recompress when the served logloss of the live compressed model on the holdout window rises this much above the logloss measured at its gate; 0 = off.")
      .define(TRIGGER_MIN_INTERVAL_MS_CONFIG, Type.LONG, 60_000L, Range.between(0L, MONTH_MS), Importance.LOW,
          "Minimum time between two age/drift-triggered runs (a new snapshot always runs).")
      .group("Compression")
      .define(COMPRESSION_METHOD_CONFIG, Type.STRING, "afm", ConfigDef.ValidString.in("afm", "svd"), Importance.MEDIUM,
          "afm (PCA of each layer's outputs on calibration data) or svd (weights only).")
      .define(COMPRESSION_SEARCH_CONFIG, Type.STRING, "ga", ConfigDef.ValidString.in("ga", "fixed"), Importance.MEDIUM,
          "ga: rank search (GA + DP + uniform baselines) under full bytes / compression.ratio on every snapshot; fixed: compression.embedding.rank and compression.mlp.ranks every time (stable ranks across versions).")
      .define(COMPRESSION_RATIO_CONFIG, Type.DOUBLE, 3.0, Range.between(1.0001, 1000.0), Importance.MEDIUM,
          "Target ratio of full to compressed parameter bytes for compression.search=ga.")
      .define(COMPRESSION_EMBEDDING_RANK_CONFIG, Type.INT, 2, Range.between(0, 1024), Importance.LOW,
          "Embedding rank of every lookup field for compression.search=fixed (0 = dense).")
      .define(COMPRESSION_MLP_RANKS_CONFIG, Type.LIST, "", intList("rank", 0), Importance.LOW,
          "Hidden-layer ranks for compression.search=fixed, comma separated (0 = dense; missing entries = dense).")
      .define(COMPRESSION_SEED_CONFIG, Type.LONG, 1L, Range.atLeast(0L), Importance.LOW, "Seed of the rank search.")
      .define(COMPRESSION_DISTILL_STEPS_CONFIG, Type.INT, 100, Range.between(0, 100_000), Importance.MEDIUM,
          "Optimizer steps distilling the compressed student from the full teacher on 80% of the calibration reservoir"
              + " (soft targets: the reservoir is unlabelled); the result is kept only if fidelity on the other 20% improves. 0 = off.")
      .group("Delta refresh (docs/model-deltas.md)")
      .define(DELTA_ENABLED_CONFIG, Type.BOOLEAN, false, null, Importance.MEDIUM,
          "Between refactorizations, follow the full model's delta chain (the trainer's delta.enabled) and publish each"
              + " delta projected onto the published student's basis to topic.model.deltas, keyed by model.name.")
      .name(DELTAS_TOPIC_CONFIG, "model-deltas", Importance.MEDIUM,
          "Topic of the delta chains (cleanup.policy=delete), key = model name: read for full.model.name, written for model.name.")
      .define(DELTA_FIDELITY_INTERVAL_MS_CONFIG, Type.LONG, 10_000L, Range.between(0L, MONTH_MS), Importance.LOW,
          "At most this often, compare the delta-updated student with the reconstructed full model on the calibration rows;"
              + " a mean |logit diff| above gate.max.mean.abs.logit.diff stops the relay and triggers a refactorization.")
      .define(DELTA_RELAY_ENCODING_CONFIG, Type.STRING, "fp32", ValidString.in("fp32", "fp16", "int8", "int4", "int3", "int2"),
          Importance.LOW, "Encoding of the student's deltas to scorers. fp32 with delta.relay.topk.ratio = 1 sends every"
              + " projected change exactly (the default); anything else makes the student's chain an error-feedback chain like"
              + " the trainer's (the relay keeps the exact projected student and sends the top delta.relay.topk.ratio of the"
              + " difference to what scorers hold, in this encoding; what is not sent stays in the residual and is sent later).")
      .define(DELTA_RELAY_TOPK_RATIO_CONFIG, Type.DOUBLE, 1.0, Range.between(1e-6, 1.0), Importance.LOW,
          "Share of the student's values per delta to scorers (model-wide budget, ranked by squared residual per value); 1 = all.")
      .define(DELTA_RELAY_GROUP_SCALE_CONFIG, Type.STRING, "bf16", ValidString.in("bf16", "log4"), Importance.LOW,
          "Scale of each quantized group of the student's deltas (int8 .. int2 only): bf16 or log4, as the trainer's"
              + " delta.group.scale.")
      .build();

  /** Parses and cross-checks {@code props}; unknown keys are kept for the Kafka clients. */
  public RecompressorConfig(Map<?, ?> props) {
    super(DEF, props);
  }

  @Override
  protected void crossCheck() {
    if (getInt(HOLDOUT_MIN_ROWS_CONFIG) > getInt(HOLDOUT_SIZE_CONFIG)) {
      throw new ConfigException(HOLDOUT_MIN_ROWS_CONFIG, getInt(HOLDOUT_MIN_ROWS_CONFIG),
          "must be <= " + HOLDOUT_SIZE_CONFIG + " (" + getInt(HOLDOUT_SIZE_CONFIG) + "): the window could never hold enough rows");
    }
    if (getInt(CALIBRATION_MIN_IMPRESSIONS_CONFIG) > getInt(RESERVOIR_SIZE_CONFIG)) {
      throw new ConfigException(CALIBRATION_MIN_IMPRESSIONS_CONFIG, getInt(CALIBRATION_MIN_IMPRESSIONS_CONFIG),
          "must be <= " + RESERVOIR_SIZE_CONFIG + " (" + getInt(RESERVOIR_SIZE_CONFIG) + "): the reservoir could never hold enough");
    }
    if (deltaRelayGroupScale() == GroupScale.LOG4 && !deltaRelayEncoding().quantized()) {
      throw new ConfigException(DELTA_RELAY_GROUP_SCALE_CONFIG, getString(DELTA_RELAY_GROUP_SCALE_CONFIG),
          "scales groups of integers, but " + DELTA_RELAY_ENCODING_CONFIG + " = " + getString(DELTA_RELAY_ENCODING_CONFIG)
              + " sends floats: use int8, int4, int3 or int2, or bf16");
    }
    if (fullModelName().equals(modelName())) {
      throw new ConfigException(MODEL_NAME_CONFIG, modelName(),
          "must differ from " + FULL_MODEL_NAME_CONFIG + ": compressed and full versions would share one version line");
    }
  }

  /** The definitions (for docs and tooling). */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }

  /** The settings reference as Markdown, generated from the definitions. */
  public static String toMarkdown() {
    return toMarkdown(DEF, "recompressor", RecompressorConfig.class, CLIENT_PASS_THROUGH);
  }

  /**
   * Consumer configs as {@link ServiceConfig#consumerConfigs}, with fetches of up to 2 MiB per
   * partition unless set: the model-updates consumer reads whole snapshots.
   */
  @Override
  public Map<String, Object> consumerConfigs(String groupId, String clientId) {
    Map<String, Object> c = super.consumerConfigs(groupId, clientId);
    c.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 2 << 20);
    return c;
  }

  /** Model-updates and models compacted, impressions and labeled plain; one partition each. */
  @Override
  public List<NewTopic> requiredTopics() {
    List<NewTopic> t = new java.util.ArrayList<>(List.of(KafkaTopics.compacted(modelUpdatesTopic(), 1),
        KafkaTopics.compacted(modelsTopic(), 1), KafkaTopics.plain(impressionsTopic(), 1),
        KafkaTopics.plain(labeledTopic(), 1)));
    if (deltaEnabled()) {
      t.add(KafkaTopics.plain(deltasTopic(), 1));
    }
    return List.copyOf(t);
  }

  /** The quality gate of the gate.* settings and holdout.min.rows. */
  public QualityGate qualityGate() {
    return new QualityGate(new GateThresholds(getDouble(GATE_MAX_AUC_DROP_CONFIG), getDouble(GATE_MAX_LOGLOSS_RISE_CONFIG),
        getDouble(GATE_MAX_CALIBRATION_SHIFT_CONFIG), getDouble(GATE_MAX_LOGIT_DIFF_CONFIG),
        getDouble(GATE_MAX_CALIBRATION_ERROR_CONFIG)),
        getInt(HOLDOUT_MIN_ROWS_CONFIG), getBoolean(GATE_REQUIRE_HOLDOUT_CONFIG));
  }



  /** Fidelity check interval of the delta relay. */
  public long deltaFidelityIntervalMs() {
    return getLong(DELTA_FIDELITY_INTERVAL_MS_CONFIG);
  }

  /** Value encoding of the student's deltas. */
  public ValueEncoding deltaRelayEncoding() {
    return ValueEncoding.valueOf(getString(DELTA_RELAY_ENCODING_CONFIG).toUpperCase(java.util.Locale.ROOT));
  }

  /** Top-k ratio of the student's deltas. */
  public double deltaRelayTopkRatio() {
    return getDouble(DELTA_RELAY_TOPK_RATIO_CONFIG);
  }

  /** Scale form of the student's quantized groups. */
  public GroupScale deltaRelayGroupScale() {
    return GroupScale.valueOf(getString(DELTA_RELAY_GROUP_SCALE_CONFIG).toUpperCase(java.util.Locale.ROOT));
  }

  /** The gate's mean |logit diff| limit (also the delta relay's fidelity limit). */
  public double maxMeanAbsLogitDiff() {
    return getDouble(GATE_MAX_LOGIT_DIFF_CONFIG);
  }

  /** Name of the full model on model-updates. */
  public String fullModelName() {
    return getString(FULL_MODEL_NAME_CONFIG);
  }

  /** RocksDB directory. */
  public Path stateDir() {
    return Path.of(getString(STATE_DIR_CONFIG));
  }

  /** Reservoir capacity (impressions). */
  public int reservoirSize() {
    return getInt(RESERVOIR_SIZE_CONFIG);
  }

  /** Cap on calibration rows. */
  public int calibrationMaxRows() {
    return getInt(CALIBRATION_ROWS_CONFIG);
  }

  /** Holdout ring capacity. */
  public int holdoutSize() {
    return getInt(HOLDOUT_SIZE_CONFIG);
  }

  /** How ranks are chosen. */
  public CompressorPipeline.Search compressionSearch() {
    return CompressorPipeline.Search.valueOf(getString(COMPRESSION_SEARCH_CONFIG).toUpperCase(Locale.ROOT));
  }

  /** Target ratio of the search. */
  public double compressionRatio() {
    return getDouble(COMPRESSION_RATIO_CONFIG);
  }

  /** Fixed hidden-layer ranks. */
  public int[] compressionMlpRanks() {
    return getIntList(COMPRESSION_MLP_RANKS_CONFIG);
  }

}
