package io.ctrstreams.recompressor.service;

import io.ctrstreams.serving.ServiceProperties;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Configuration of the recompressor service, Kafka {@link ConfigDef} style: {@code *_CONFIG}
 * names with a {@code *_DOC}, defaults and validators; cross-setting checks throw naming the
 * values and the reason. Properties that are not ours pass through to the Kafka clients
 * ({@link #clientProperties()}), e.g. {@code security.protocol} for a real cluster.
 */
public final class RecompressorConfig extends AbstractConfig {
  /** Kafka bootstrap servers. */
  public static final String BOOTSTRAP_SERVERS_CONFIG = CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG;
  /** Doc of {@link #BOOTSTRAP_SERVERS_CONFIG}. */
  public static final String BOOTSTRAP_SERVERS_DOC = "Kafka bootstrap servers, host:port[,host:port...].";
  /** Consumer group id (committed offsets of impressions and labeled). */
  public static final String GROUP_ID_CONFIG = "group.id";
  /** Doc of {@link #GROUP_ID_CONFIG}. */
  public static final String GROUP_ID_DOC =
      "Consumer group id under which the offsets of the impressions and labeled topics are committed.";

  /** Topic of full-precision snapshots. */
  public static final String MODEL_UPDATES_TOPIC_CONFIG = "topic.model.updates";
  /** Doc of {@link #MODEL_UPDATES_TOPIC_CONFIG}. */
  public static final String MODEL_UPDATES_TOPIC_DOC =
      "Topic of full-precision snapshots (chunk + manifest transport, read from the beginning on every start).";
  /** Compacted models topic. */
  public static final String MODELS_TOPIC_CONFIG = "topic.models";
  /** Doc of {@link #MODELS_TOPIC_CONFIG}. */
  public static final String MODELS_TOPIC_DOC = "Compacted topic the accepted compressed models are published to.";
  /** Impressions topic. */
  public static final String IMPRESSIONS_TOPIC_CONFIG = "topic.impressions";
  /** Doc of {@link #IMPRESSIONS_TOPIC_CONFIG}. */
  public static final String IMPRESSIONS_TOPIC_DOC = "Impressions topic; sampled into the calibration reservoir.";
  /** Labeled topic. */
  public static final String LABELED_TOPIC_CONFIG = "topic.labeled";
  /** Doc of {@link #LABELED_TOPIC_CONFIG}. */
  public static final String LABELED_TOPIC_DOC = "Labeled examples topic; its latest records form the holdout window.";

  /** Name of the full model on model-updates. */
  public static final String FULL_MODEL_NAME_CONFIG = "full.model.name";
  /** Doc of {@link #FULL_MODEL_NAME_CONFIG}. */
  public static final String FULL_MODEL_NAME_DOC = "Name of the full-precision model on the model-updates topic.";
  /** Name of the compressed model on the models topic. */
  public static final String MODEL_NAME_CONFIG = "model.name";
  /** Doc of {@link #MODEL_NAME_CONFIG}. */
  public static final String MODEL_NAME_DOC = "Name under which compressed models are published (the topology's model.name).";
  /** Shadow publishing. */
  public static final String SHADOW_MODEL_NAME_CONFIG = "shadow.model.name";
  /** Doc of {@link #SHADOW_MODEL_NAME_CONFIG}. */
  public static final String SHADOW_MODEL_NAME_DOC =
      "When non-empty, each full snapshot that gets compressed is also published to the models topic under this name (before the compressed model), so the topology can score it as its shadow. Empty = off.";

  /** RocksDB directory. */
  public static final String STATE_DIR_CONFIG = "state.dir";
  /** Doc of {@link #STATE_DIR_CONFIG}. */
  public static final String STATE_DIR_DOC =
      "Directory of the RocksDB state (latest full model, reservoir, holdout, finished versions); reused on restart.";
  /** Reservoir size. */
  public static final String RESERVOIR_SIZE_CONFIG = "calibration.reservoir.size";
  /** Doc of {@link #RESERVOIR_SIZE_CONFIG}. */
  public static final String RESERVOIR_SIZE_DOC =
      "Impressions kept in the calibration reservoir (uniform sample of all impressions seen, Vitter's algorithm R).";
  /** Minimum impressions before a run. */
  public static final String CALIBRATION_MIN_IMPRESSIONS_CONFIG = "calibration.min.impressions";
  /** Doc of {@link #CALIBRATION_MIN_IMPRESSIONS_CONFIG}. */
  public static final String CALIBRATION_MIN_IMPRESSIONS_DOC =
      "A snapshot waits until the reservoir holds this many impressions: AFM needs traffic to compress against.";
  /** Calibration rows cap. */
  public static final String CALIBRATION_ROWS_CONFIG = "calibration.max.rows";
  /** Doc of {@link #CALIBRATION_ROWS_CONFIG}. */
  public static final String CALIBRATION_ROWS_DOC =
      "Cap on calibration rows (one per candidate) handed to the compression pipeline.";
  /** Holdout size. */
  public static final String HOLDOUT_SIZE_CONFIG = "holdout.size";
  /** Doc of {@link #HOLDOUT_SIZE_CONFIG}. */
  public static final String HOLDOUT_SIZE_DOC = "Latest labeled examples kept as the gate's holdout window (a ring).";
  /** Minimum holdout for an AUC gate. */
  public static final String HOLDOUT_MIN_ROWS_CONFIG = "holdout.min.rows";
  /** Doc of {@link #HOLDOUT_MIN_ROWS_CONFIG}. */
  public static final String HOLDOUT_MIN_ROWS_DOC =
      "Below this many labeled rows (e.g. before the first model served) the gate judges fidelity to the full model on calibration rows only (mean |logit diff|), unless gate.require.holdout.";
  /** Whether a holdout is mandatory. */
  public static final String GATE_REQUIRE_HOLDOUT_CONFIG = "gate.require.holdout";
  /** Doc of {@link #GATE_REQUIRE_HOLDOUT_CONFIG}. */
  public static final String GATE_REQUIRE_HOLDOUT_DOC =
      "Reject candidates while the holdout window has fewer than holdout.min.rows rows.";
  /** Gate: AUC drop. */
  public static final String GATE_MAX_AUC_DROP_CONFIG = "gate.max.auc.drop";
  /** Doc of {@link #GATE_MAX_AUC_DROP_CONFIG}. */
  public static final String GATE_MAX_AUC_DROP_DOC = "Largest accepted holdout AUC drop of the candidate versus the full model.";
  /** Gate: logloss rise. */
  public static final String GATE_MAX_LOGLOSS_RISE_CONFIG = "gate.max.logloss.rise";
  /** Doc of {@link #GATE_MAX_LOGLOSS_RISE_CONFIG}. */
  public static final String GATE_MAX_LOGLOSS_RISE_DOC = "Largest accepted holdout logloss rise of the candidate versus the full model.";
  /** Gate: calibration shift. */
  public static final String GATE_MAX_CALIBRATION_SHIFT_CONFIG = "gate.max.calibration.shift";
  /** Doc of {@link #GATE_MAX_CALIBRATION_SHIFT_CONFIG}. */
  public static final String GATE_MAX_CALIBRATION_SHIFT_DOC = "Largest accepted |calibration(candidate) - calibration(full)| on the holdout.";
  /** Gate: fidelity. */
  public static final String GATE_MAX_LOGIT_DIFF_CONFIG = "gate.max.mean.abs.logit.diff";
  /** Doc of {@link #GATE_MAX_LOGIT_DIFF_CONFIG}. */
  public static final String GATE_MAX_LOGIT_DIFF_DOC = "Largest accepted mean |logit(full) - logit(candidate)|.";

  /** Age trigger. */
  public static final String TRIGGER_MAX_AGE_MS_CONFIG = "trigger.max.age.ms";
  /** Doc of {@link #TRIGGER_MAX_AGE_MS_CONFIG}. */
  public static final String TRIGGER_MAX_AGE_MS_DOC =
      "Recompress the latest full model with fresh calibration data when the last publish is older than this; 0 = off.";
  /** Drift trigger. */
  public static final String TRIGGER_DRIFT_LOGLOSS_CONFIG = "trigger.drift.logloss";
  /** Doc of {@link #TRIGGER_DRIFT_LOGLOSS_CONFIG}. */
  public static final String TRIGGER_DRIFT_LOGLOSS_DOC =
      "Recompress when the served logloss of the live compressed model on the holdout window rises this much above the logloss measured at its gate; 0 = off.";
  /** Cooldown between runs. */
  public static final String TRIGGER_MIN_INTERVAL_MS_CONFIG = "trigger.min.interval.ms";
  /** Doc of {@link #TRIGGER_MIN_INTERVAL_MS_CONFIG}. */
  public static final String TRIGGER_MIN_INTERVAL_MS_DOC =
      "Minimum time between two age/drift-triggered runs (a new snapshot always runs).";

  /** Compression method. */
  public static final String COMPRESSION_METHOD_CONFIG = "compression.method";
  /** Doc of {@link #COMPRESSION_METHOD_CONFIG}. */
  public static final String COMPRESSION_METHOD_DOC = "afm (PCA of each layer's outputs on calibration data) or svd (weights only).";
  /** Rank choice. */
  public static final String COMPRESSION_SEARCH_CONFIG = "compression.search";
  /** Doc of {@link #COMPRESSION_SEARCH_CONFIG}. */
  public static final String COMPRESSION_SEARCH_DOC =
      "ga: rank search (GA + DP + uniform baselines) under full bytes / compression.ratio on every snapshot; fixed: compression.embedding.rank and compression.mlp.ranks every time (stable ranks across versions).";
  /** Target ratio. */
  public static final String COMPRESSION_RATIO_CONFIG = "compression.ratio";
  /** Doc of {@link #COMPRESSION_RATIO_CONFIG}. */
  public static final String COMPRESSION_RATIO_DOC = "Target ratio of full to compressed parameter bytes for compression.search=ga.";
  /** Fixed embedding rank. */
  public static final String COMPRESSION_EMBEDDING_RANK_CONFIG = "compression.embedding.rank";
  /** Doc of {@link #COMPRESSION_EMBEDDING_RANK_CONFIG}. */
  public static final String COMPRESSION_EMBEDDING_RANK_DOC = "Embedding rank of every lookup field for compression.search=fixed (0 = dense).";
  /** Fixed MLP ranks. */
  public static final String COMPRESSION_MLP_RANKS_CONFIG = "compression.mlp.ranks";
  /** Doc of {@link #COMPRESSION_MLP_RANKS_CONFIG}. */
  public static final String COMPRESSION_MLP_RANKS_DOC =
      "Hidden-layer ranks for compression.search=fixed, comma separated (0 = dense; missing entries = dense).";
  /** Seed. */
  public static final String COMPRESSION_SEED_CONFIG = "compression.seed";
  /** Doc of {@link #COMPRESSION_SEED_CONFIG}. */
  public static final String COMPRESSION_SEED_DOC = "Seed of the rank search.";
  /** Distillation steps. */
  public static final String COMPRESSION_DISTILL_STEPS_CONFIG = "compression.distill.steps";
  /** Doc of {@link #COMPRESSION_DISTILL_STEPS_CONFIG}. */
  public static final String COMPRESSION_DISTILL_STEPS_DOC =
      "Optimizer steps distilling the compressed student from the full teacher on 80% of the calibration reservoir"
          + " (soft targets: the reservoir is unlabelled); the result is kept only if fidelity on the other 20% improves. 0 = off.";

  /** Prometheus endpoint port. */
  public static final String METRICS_PORT_CONFIG = "metrics.port";
  /** Doc of {@link #METRICS_PORT_CONFIG}. */
  public static final String METRICS_PORT_DOC = "Port of the Prometheus /metrics endpoint of ctr recompressor; 0 picks a free port, -1 = off.";

  private static final String GROUP_KAFKA = "Kafka";
  private static final String GROUP_MODELS = "Models";
  private static final String GROUP_DATA = "Calibration and holdout";
  private static final String GROUP_GATE = "Quality gate";
  private static final String GROUP_TRIGGERS = "Triggers";
  private static final String GROUP_COMPRESSION = "Compression";

  private static final ConfigDef DEF = definition();

  private static ConfigDef definition() {
    ConfigDef d = new ConfigDef();
    int o = 0;
    d.define(BOOTSTRAP_SERVERS_CONFIG, Type.LIST, "localhost:9092", Importance.HIGH, BOOTSTRAP_SERVERS_DOC, GROUP_KAFKA, ++o, ConfigDef.Width.LONG, "Bootstrap servers");
    d.define(GROUP_ID_CONFIG, Type.STRING, "ctr-recompressor", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH, GROUP_ID_DOC, GROUP_KAFKA, ++o, ConfigDef.Width.MEDIUM, "Group id");
    d.define(MODEL_UPDATES_TOPIC_CONFIG, Type.STRING, "model-updates", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH, MODEL_UPDATES_TOPIC_DOC, GROUP_KAFKA, ++o, ConfigDef.Width.MEDIUM, "Model updates topic");
    d.define(MODELS_TOPIC_CONFIG, Type.STRING, "models", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH, MODELS_TOPIC_DOC, GROUP_KAFKA, ++o, ConfigDef.Width.MEDIUM, "Models topic");
    d.define(IMPRESSIONS_TOPIC_CONFIG, Type.STRING, "impressions", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH, IMPRESSIONS_TOPIC_DOC, GROUP_KAFKA, ++o, ConfigDef.Width.MEDIUM, "Impressions topic");
    d.define(LABELED_TOPIC_CONFIG, Type.STRING, "labeled", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH, LABELED_TOPIC_DOC, GROUP_KAFKA, ++o, ConfigDef.Width.MEDIUM, "Labeled topic");
    d.define(METRICS_PORT_CONFIG, Type.INT, 9401, Range.between(-1, 65535), Importance.MEDIUM, METRICS_PORT_DOC, GROUP_KAFKA, ++o, ConfigDef.Width.SHORT, "Metrics port");

    o = 0;
    d.define(FULL_MODEL_NAME_CONFIG, Type.STRING, "ctr-full", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH, FULL_MODEL_NAME_DOC, GROUP_MODELS, ++o, ConfigDef.Width.MEDIUM, "Full model");
    d.define(MODEL_NAME_CONFIG, Type.STRING, "ctr", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH, MODEL_NAME_DOC, GROUP_MODELS, ++o, ConfigDef.Width.MEDIUM, "Compressed model");
    d.define(SHADOW_MODEL_NAME_CONFIG, Type.STRING, "ctr-full", Importance.MEDIUM, SHADOW_MODEL_NAME_DOC, GROUP_MODELS, ++o, ConfigDef.Width.MEDIUM, "Shadow model");
    d.define(STATE_DIR_CONFIG, Type.STRING, System.getProperty("java.io.tmpdir") + "/ctr-recompressor", new ConfigDef.NonEmptyString(), Importance.HIGH, STATE_DIR_DOC, GROUP_MODELS, ++o, ConfigDef.Width.LONG, "State dir");

    o = 0;
    d.define(RESERVOIR_SIZE_CONFIG, Type.INT, 2_000, Range.between(1, 1_000_000), Importance.MEDIUM, RESERVOIR_SIZE_DOC, GROUP_DATA, ++o, ConfigDef.Width.SHORT, "Reservoir");
    d.define(CALIBRATION_MIN_IMPRESSIONS_CONFIG, Type.INT, 200, Range.between(1, 1_000_000), Importance.MEDIUM, CALIBRATION_MIN_IMPRESSIONS_DOC, GROUP_DATA, ++o, ConfigDef.Width.SHORT, "Min calibration impressions");
    d.define(CALIBRATION_ROWS_CONFIG, Type.INT, 4_000, Range.between(1, 10_000_000), Importance.MEDIUM, CALIBRATION_ROWS_DOC, GROUP_DATA, ++o, ConfigDef.Width.SHORT, "Calibration rows");
    d.define(HOLDOUT_SIZE_CONFIG, Type.INT, 5_000, Range.between(1, 10_000_000), Importance.MEDIUM, HOLDOUT_SIZE_DOC, GROUP_DATA, ++o, ConfigDef.Width.SHORT, "Holdout");
    d.define(HOLDOUT_MIN_ROWS_CONFIG, Type.INT, 300, Range.between(2, 10_000_000), Importance.MEDIUM, HOLDOUT_MIN_ROWS_DOC, GROUP_DATA, ++o, ConfigDef.Width.SHORT, "Holdout min rows");

    o = 0;
    d.define(GATE_REQUIRE_HOLDOUT_CONFIG, Type.BOOLEAN, false, Importance.MEDIUM, GATE_REQUIRE_HOLDOUT_DOC, GROUP_GATE, ++o, ConfigDef.Width.SHORT, "Require holdout");
    d.define(GATE_MAX_AUC_DROP_CONFIG, Type.DOUBLE, 0.005, Range.between(0.0, 1.0), Importance.HIGH, GATE_MAX_AUC_DROP_DOC, GROUP_GATE, ++o, ConfigDef.Width.SHORT, "Max AUC drop");
    d.define(GATE_MAX_LOGLOSS_RISE_CONFIG, Type.DOUBLE, 0.005, Range.between(0.0, 10.0), Importance.HIGH, GATE_MAX_LOGLOSS_RISE_DOC, GROUP_GATE, ++o, ConfigDef.Width.SHORT, "Max logloss rise");
    d.define(GATE_MAX_CALIBRATION_SHIFT_CONFIG, Type.DOUBLE, 0.05, Range.between(0.0, 10.0), Importance.MEDIUM, GATE_MAX_CALIBRATION_SHIFT_DOC, GROUP_GATE, ++o, ConfigDef.Width.SHORT, "Max calibration shift");
    d.define(GATE_MAX_LOGIT_DIFF_CONFIG, Type.DOUBLE, 0.25, Range.between(0.0, 100.0), Importance.MEDIUM, GATE_MAX_LOGIT_DIFF_DOC, GROUP_GATE, ++o, ConfigDef.Width.SHORT, "Max mean |logit diff|");

    o = 0;
    d.define(TRIGGER_MAX_AGE_MS_CONFIG, Type.LONG, 0L, Range.between(0L, 30L * 24 * 3600 * 1000), Importance.LOW, TRIGGER_MAX_AGE_MS_DOC, GROUP_TRIGGERS, ++o, ConfigDef.Width.SHORT, "Max age");
    d.define(TRIGGER_DRIFT_LOGLOSS_CONFIG, Type.DOUBLE, 0.0, Range.between(0.0, 10.0), Importance.LOW, TRIGGER_DRIFT_LOGLOSS_DOC, GROUP_TRIGGERS, ++o, ConfigDef.Width.SHORT, "Drift");
    d.define(TRIGGER_MIN_INTERVAL_MS_CONFIG, Type.LONG, 60_000L, Range.between(0L, 30L * 24 * 3600 * 1000), Importance.LOW, TRIGGER_MIN_INTERVAL_MS_DOC, GROUP_TRIGGERS, ++o, ConfigDef.Width.SHORT, "Min interval");

    o = 0;
    d.define(COMPRESSION_METHOD_CONFIG, Type.STRING, "afm", ConfigDef.ValidString.in("afm", "svd"), Importance.MEDIUM, COMPRESSION_METHOD_DOC, GROUP_COMPRESSION, ++o, ConfigDef.Width.SHORT, "Method");
    d.define(COMPRESSION_SEARCH_CONFIG, Type.STRING, "ga", ConfigDef.ValidString.in("ga", "fixed"), Importance.MEDIUM, COMPRESSION_SEARCH_DOC, GROUP_COMPRESSION, ++o, ConfigDef.Width.SHORT, "Search");
    d.define(COMPRESSION_RATIO_CONFIG, Type.DOUBLE, 3.0, Range.between(1.0001, 1000.0), Importance.MEDIUM, COMPRESSION_RATIO_DOC, GROUP_COMPRESSION, ++o, ConfigDef.Width.SHORT, "Ratio");
    d.define(COMPRESSION_EMBEDDING_RANK_CONFIG, Type.INT, 2, Range.between(0, 1024), Importance.LOW, COMPRESSION_EMBEDDING_RANK_DOC, GROUP_COMPRESSION, ++o, ConfigDef.Width.SHORT, "Embedding rank");
    d.define(COMPRESSION_MLP_RANKS_CONFIG, Type.LIST, "", Importance.LOW, COMPRESSION_MLP_RANKS_DOC, GROUP_COMPRESSION, ++o, ConfigDef.Width.SHORT, "MLP ranks");
    d.define(COMPRESSION_SEED_CONFIG, Type.LONG, 1L, Importance.LOW, COMPRESSION_SEED_DOC, GROUP_COMPRESSION, ++o, ConfigDef.Width.SHORT, "Seed");
    d.define(COMPRESSION_DISTILL_STEPS_CONFIG, Type.INT, 100, ConfigDef.Range.between(0, 100_000), Importance.MEDIUM,
        COMPRESSION_DISTILL_STEPS_DOC, GROUP_COMPRESSION, ++o, ConfigDef.Width.SHORT, "Distillation steps");
    return d;
  }

  /** Parses and cross-checks {@code props}; unknown keys are kept for the Kafka clients. */
  public RecompressorConfig(Map<?, ?> props) {
    super(DEF, props, false);
    crossCheck();
  }

  /** Loads a {@code .properties} file (may be null), then applies {@code overrides}. */
  public static RecompressorConfig load(Path file, Map<String, String> overrides) throws IOException {
    return new RecompressorConfig(ServiceProperties.load(file, overrides));
  }

  /** The definitions (for docs and tooling). */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }

  private void crossCheck() {
    if (getList(BOOTSTRAP_SERVERS_CONFIG).isEmpty()) {
      throw new ConfigException(BOOTSTRAP_SERVERS_CONFIG, "", "at least one host:port is required");
    }
    if (getInt(HOLDOUT_MIN_ROWS_CONFIG) > getInt(HOLDOUT_SIZE_CONFIG)) {
      throw new ConfigException(HOLDOUT_MIN_ROWS_CONFIG, getInt(HOLDOUT_MIN_ROWS_CONFIG),
          "must be <= " + HOLDOUT_SIZE_CONFIG + " (" + getInt(HOLDOUT_SIZE_CONFIG) + "): the window could never hold enough rows");
    }
    if (getInt(CALIBRATION_MIN_IMPRESSIONS_CONFIG) > getInt(RESERVOIR_SIZE_CONFIG)) {
      throw new ConfigException(CALIBRATION_MIN_IMPRESSIONS_CONFIG, getInt(CALIBRATION_MIN_IMPRESSIONS_CONFIG),
          "must be <= " + RESERVOIR_SIZE_CONFIG + " (" + getInt(RESERVOIR_SIZE_CONFIG) + "): the reservoir could never hold enough");
    }
    if (fullModelName().equals(modelName())) {
      throw new ConfigException(MODEL_NAME_CONFIG, modelName(),
          "must differ from " + FULL_MODEL_NAME_CONFIG + ": compressed and full versions would share one version line");
    }
    if (shadowModelName() != null && shadowModelName().equals(modelName())) {
      throw new ConfigException(SHADOW_MODEL_NAME_CONFIG, shadowModelName(),
          "must differ from " + MODEL_NAME_CONFIG + " (" + modelName() + "): a model cannot shadow itself");
    }
    for (String r : getList(COMPRESSION_MLP_RANKS_CONFIG)) {
      if (r.isBlank()) {
        continue;
      }
      try {
        if (Integer.parseInt(r.trim()) < 0) {
          throw new ConfigException(COMPRESSION_MLP_RANKS_CONFIG, getList(COMPRESSION_MLP_RANKS_CONFIG), "ranks must be >= 0, found " + r);
        }
      } catch (NumberFormatException e) {
        throw new ConfigException(COMPRESSION_MLP_RANKS_CONFIG, getList(COMPRESSION_MLP_RANKS_CONFIG), "rank '" + r + "' is not an integer");
      }
    }
    Set<String> topics = new java.util.HashSet<>();
    for (String k : List.of(MODEL_UPDATES_TOPIC_CONFIG, MODELS_TOPIC_CONFIG, IMPRESSIONS_TOPIC_CONFIG, LABELED_TOPIC_CONFIG)) {
      if (!topics.add(getString(k))) {
        throw new ConfigException(k, getString(k), "is already used by another topic setting; every topic must be distinct");
      }
    }
  }

  /**
   * Kafka client properties: every original property that is not one of ours, plus the
   * bootstrap servers. The group id is added by the consumer that needs it.
   */
  public Map<String, Object> clientProperties() {
    return ServiceProperties.passThrough(originals(), DEF.names(), getList(BOOTSTRAP_SERVERS_CONFIG));
  }

  /** Consumer group id. */
  public String groupId() {
    return getString(GROUP_ID_CONFIG);
  }

  /** Topic of full snapshots. */
  public String modelUpdatesTopic() {
    return getString(MODEL_UPDATES_TOPIC_CONFIG);
  }

  /** Compacted models topic. */
  public String modelsTopic() {
    return getString(MODELS_TOPIC_CONFIG);
  }

  /** Impressions topic. */
  public String impressionsTopic() {
    return getString(IMPRESSIONS_TOPIC_CONFIG);
  }

  /** Labeled topic. */
  public String labeledTopic() {
    return getString(LABELED_TOPIC_CONFIG);
  }

  /** Name of the full model on model-updates. */
  public String fullModelName() {
    return getString(FULL_MODEL_NAME_CONFIG);
  }

  /** Name of the published compressed model. */
  public String modelName() {
    return getString(MODEL_NAME_CONFIG);
  }

  /** Shadow name, or null when off. */
  public String shadowModelName() {
    String s = getString(SHADOW_MODEL_NAME_CONFIG).trim();
    return s.isEmpty() ? null : s;
  }

  /** RocksDB directory. */
  public Path stateDir() {
    return Path.of(getString(STATE_DIR_CONFIG));
  }

  /** Reservoir capacity (impressions). */
  public int reservoirSize() {
    return getInt(RESERVOIR_SIZE_CONFIG);
  }

  /** Impressions the reservoir needs before a run. */
  public int calibrationMinImpressions() {
    return getInt(CALIBRATION_MIN_IMPRESSIONS_CONFIG);
  }

  /** Cap on calibration rows. */
  public int calibrationMaxRows() {
    return getInt(CALIBRATION_ROWS_CONFIG);
  }

  /** Holdout ring capacity. */
  public int holdoutSize() {
    return getInt(HOLDOUT_SIZE_CONFIG);
  }

  /** Minimum holdout for the labeled gate. */
  public int holdoutMinRows() {
    return getInt(HOLDOUT_MIN_ROWS_CONFIG);
  }

  /** Whether the labeled gate is mandatory. */
  public boolean gateRequireHoldout() {
    return getBoolean(GATE_REQUIRE_HOLDOUT_CONFIG);
  }

  /** Gate threshold. */
  public double gateMaxAucDrop() {
    return getDouble(GATE_MAX_AUC_DROP_CONFIG);
  }

  /** Gate threshold. */
  public double gateMaxLoglossRise() {
    return getDouble(GATE_MAX_LOGLOSS_RISE_CONFIG);
  }

  /** Gate threshold. */
  public double gateMaxCalibrationShift() {
    return getDouble(GATE_MAX_CALIBRATION_SHIFT_CONFIG);
  }

  /** Gate threshold. */
  public double gateMaxMeanAbsLogitDiff() {
    return getDouble(GATE_MAX_LOGIT_DIFF_CONFIG);
  }

  /** Age trigger in ms, 0 = off. */
  public long triggerMaxAgeMs() {
    return getLong(TRIGGER_MAX_AGE_MS_CONFIG);
  }

  /** Drift trigger, 0 = off. */
  public double triggerDriftLogloss() {
    return getDouble(TRIGGER_DRIFT_LOGLOSS_CONFIG);
  }

  /** Cooldown of triggered runs. */
  public long triggerMinIntervalMs() {
    return getLong(TRIGGER_MIN_INTERVAL_MS_CONFIG);
  }

  /** AFM or SVD. */
  public io.ctrstreams.recompressor.CompressionMethod compressionMethod() {
    return io.ctrstreams.recompressor.CompressionMethod.valueOf(getString(COMPRESSION_METHOD_CONFIG).toUpperCase(Locale.ROOT));
  }

  /** How ranks are chosen. */
  public CompressorPipeline.Search compressionSearch() {
    return CompressorPipeline.Search.valueOf(getString(COMPRESSION_SEARCH_CONFIG).toUpperCase(Locale.ROOT));
  }

  /** Target ratio of the search. */
  public double compressionRatio() {
    return getDouble(COMPRESSION_RATIO_CONFIG);
  }

  /** Fixed embedding rank. */
  public int compressionEmbeddingRank() {
    return getInt(COMPRESSION_EMBEDDING_RANK_CONFIG);
  }

  /** Fixed hidden-layer ranks. */
  public int[] compressionMlpRanks() {
    return getList(COMPRESSION_MLP_RANKS_CONFIG).stream().filter(s -> !s.isBlank())
        .mapToInt(s -> Integer.parseInt(s.trim())).toArray();
  }

  /** Search seed. */
  public long compressionSeed() {
    return getLong(COMPRESSION_SEED_CONFIG);
  }

  /** Distillation steps per recompression, 0 = off. */
  public int compressionDistillSteps() {
    return getInt(COMPRESSION_DISTILL_STEPS_CONFIG);
  }

  /** Metrics port, -1 = off. */
  public int metricsPort() {
    return getInt(METRICS_PORT_CONFIG);
  }

  /** The settings reference as a Markdown table generated from the definitions. */
  public static String toMarkdown() {
    StringBuilder sb = new StringBuilder("# ctr recompressor configuration\n\n")
        .append("Generated from `RecompressorConfig`; every other property passes through to the Kafka clients.\n");
    for (String group : DEF.groups()) {
      sb.append("\n## ").append(group).append("\n\n| name | type | default | valid values | description |\n|---|---|---|---|---|\n");
      for (ConfigDef.ConfigKey k : DEF.configKeys().values()) {
        if (group.equals(k.group)) {
          String def = ConfigDef.convertToString(k.defaultValue, k.type);
          sb.append("| `").append(k.name).append("` | ").append(k.type.name().toLowerCase(Locale.ROOT))
              .append(" | `").append(def).append("` | ")
              .append(k.validator == null ? "" : k.validator.toString().replace("|", "\\|"))
              .append(" | ").append(k.documentation.replace("|", "\\|")).append(" |\n");
        }
      }
    }
    return sb.toString();
  }
}
