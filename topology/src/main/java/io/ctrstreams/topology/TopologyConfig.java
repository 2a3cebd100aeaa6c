package io.ctrstreams.topology;

import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.ServiceConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Configuration of the scoring topology service ({@link ServiceConfig}: shared keys, client
 * pass-through, docs); settings that constrain each other are cross-checked in the constructor
 * (the exception names both values and the reason). Every property that is not one of ours
 * passes through unchanged to Kafka Streams (and its clients, e.g. {@code producer.linger.ms});
 * {@link #streamsProperties()} adds our defaults ({@code processing.guarantee=exactly_once_v2})
 * and validates the result with {@link StreamsConfig}. {@link #toMarkdown()} renders the
 * reference table (docs/topology-config.md, {@code ctr topology --print-config-docs}).
 */
public final class TopologyConfig extends ServiceConfig {
  /** Streams application id (consumer group, internal topic prefix, state directory name). */
  public static final String APPLICATION_ID_CONFIG = StreamsConfig.APPLICATION_ID_CONFIG;
  /** Clicks input topic. */
  public static final String CLICKS_TOPIC_CONFIG = "topic.clicks";
  /** Scores output topic. */
  public static final String SCORES_TOPIC_CONFIG = "topic.scores";
  /** Dead-letter topic. */
  public static final String DLQ_TOPIC_CONFIG = "topic.dlq";
  /** Whether to create missing topics at startup. */
  public static final String TOPICS_CREATE_CONFIG = "topics.create";
  /** Partitions of created topics. */
  public static final String TOPICS_PARTITIONS_CONFIG = "topics.partitions";
  /** Replication factor of created topics. */
  public static final String TOPICS_REPLICATION_CONFIG = "topics.replication.factor";
  /** Input wire format. */
  public static final String INPUT_FORMAT_CONFIG = "input.format";
  /** Candidate cap per impression. */
  public static final String MAX_CANDIDATES_CONFIG = "input.max.candidates";
  public static final String MAX_ID_LENGTH_CONFIG = "input.max.id.length";
  public static final String MAX_RECORD_BYTES_CONFIG = "input.max.record.bytes";
  /** Fraction of impressions the shadow model scores. */
  public static final String SHADOW_SAMPLE_RATE_CONFIG = "shadow.sample.rate";
  /** Score record shape. */
  public static final String SCORES_FORMAT_CONFIG = "scores.format";
  /** Bounded wait for a first model. */
  public static final String MODEL_WAIT_MS_CONFIG = "model.wait.ms";
  /** Spec (JSON or .ctrm) every served model's inputs must match. */
  public static final String MODEL_EXPECTED_SPEC_CONFIG = "model.expected.spec";
  /** Whether served models are checkpointed locally. */
  public static final String MODEL_CHECKPOINT_ENABLED_CONFIG = "model.checkpoint.enabled";
  /** Where. */
  public static final String MODEL_CHECKPOINT_DIR_CONFIG = "model.checkpoint.dir";
  /** Stall threshold of the input progress monitor. */
  public static final String HEALTH_STALL_THRESHOLD_MS_CONFIG = "health.stall.threshold.ms";
  /** Poll interval of the input progress monitor (0 = off). */
  public static final String HEALTH_PROGRESS_INTERVAL_MS_CONFIG = "health.progress.interval.ms";
  /** Labels on/off. */
  public static final String LABELS_ENABLED_CONFIG = "labels.enabled";
  /** Attribution window. */
  public static final String ATTRIBUTION_WINDOW_MS_CONFIG = "labels.attribution.window.ms";
  /** Punctuation interval for closing windows. */
  public static final String LABELS_PUNCTUATE_MS_CONFIG = "labels.punctuate.interval.ms";
  /** Online-metrics sliding window. */
  public static final String METRICS_WINDOW_MS_CONFIG = "metrics.online.window.ms";

  private static final long WEEK_MS = 7L * 24 * 3600 * 1000;
  /** {@code session.timeout.ms} unless set: how long a dead instance's partitions wait for failover. */
  public static final int DEFAULT_SESSION_TIMEOUT_MS = 10_000;
  private static final ConfigDef DEF = new Definitions()
      .name(APPLICATION_ID_CONFIG, "ctr-topology", Importance.HIGH,
          "Kafka Streams application id: consumer group, prefix of internal topics and state directory.")
      .metrics(9400, "/metrics, /health/live and /health/ready")
      .group("Topics")
      .name(IMPRESSIONS_TOPIC_CONFIG, "impressions", Importance.HIGH, "Input topic of impressions (one record per ad request, all candidates).")
      .name(CLICKS_TOPIC_CONFIG, "clicks", Importance.HIGH, "Input topic of clicks (impression id + ad id).")
      .name(SCORES_TOPIC_CONFIG, "scores", Importance.HIGH, "Output topic of scores, keyed by event id (shape: scores.format).")
      .define(SCORES_FORMAT_CONFIG, Type.STRING, "per-candidate", ValidString.in("per-candidate", "per-impression"), Importance.MEDIUM,
          "per-candidate: one Score record per candidate ad; per-impression: one ImpressionScores record per impression and variant with every candidate's pCTR (one output record instead of n: the topology's per-record Kafka cost stops growing with the candidates).")
      .name(LABELED_TOPIC_CONFIG, "labeled", Importance.HIGH, "Output topic of labeled examples (served pctr + click label).")
      .name(MODELS_TOPIC_CONFIG, "models", Importance.HIGH, "Compacted topic carrying model chunks, manifests and pins; read into a global store.")
      .name(DLQ_TOPIC_CONFIG, "dlq", Importance.HIGH,
          "Dead-letter topic: undecodable or invalid input, and impressions that found no model, with error and source headers.")
      .define(TOPICS_CREATE_CONFIG, Type.BOOLEAN, true, null, Importance.MEDIUM, "Create the topics above at startup if they are missing (the models topic compacted).")
      .define(TOPICS_PARTITIONS_CONFIG, Type.INT, 3, Range.between(1, 10_000), Importance.LOW, "Partitions of topics created at startup (the models topic always gets 1).")
      .define(TOPICS_REPLICATION_CONFIG, Type.SHORT, (short) 1, Range.between(1, 32), Importance.LOW, "Replication factor of topics created at startup.")
      .group("Input")
      .define(INPUT_FORMAT_CONFIG, Type.STRING, "avro", ValidString.in("avro", "json", "auto"), Importance.HIGH,
          "Wire format of impressions and clicks: avro (single-object encoding), json (docs/input-json.md) or auto (per record by the first byte).")
      .define(MAX_CANDIDATES_CONFIG, Type.INT, ImpressionCodec.DEFAULT_MAX_CANDIDATES, Range.between(1, 100_000), Importance.MEDIUM,
          "Impressions with more candidates go to the DLQ (reason too_many_candidates).")
      .define(MAX_ID_LENGTH_CONFIG, Type.INT, ImpressionCodec.DEFAULT_MAX_ID_LENGTH, Range.between(1, 65_536), Importance.LOW,
          "Impressions whose eventId or an adId is longer (characters) go to the DLQ (reason too_large): every score carries both ids, so this bounds the score records.")
      .define(MAX_RECORD_BYTES_CONFIG, Type.INT, ImpressionCodec.DEFAULT_MAX_RECORD_BYTES, Range.between(1, Integer.MAX_VALUE), Importance.LOW,
          "Impression records larger than this go to the DLQ (reason too_large), cut to their first 256 KiB. Must stay below the producer's max.request.size: the label join forwards the record's bytes.")
      .group("Model")
      .name(MODEL_NAME_CONFIG, "ctr", Importance.HIGH, "Name of the live model on the models topic (keys <name>/...).")
      .define(SHADOW_MODEL_NAME_CONFIG, Type.STRING, "", null, Importance.LOW,
          "Optional shadow model (e.g. the full-precision model) scored alongside the live one: variant=shadow scores, online fidelity and its own AUC. Empty = off.")
      .define(SHADOW_SAMPLE_RATE_CONFIG, Type.DOUBLE, 1.0, Range.between(0.0, 1.0), Importance.LOW,
          "Fraction of impressions the shadow model also scores, chosen by a hash of the event id (the same impressions on every instance and restart): a full-precision shadow on all traffic costs more than serving it alone. Online fidelity and the shadow's AUC come from the sampled impressions.")
      .define(MODEL_WAIT_MS_CONFIG, Type.LONG, 5_000L, Range.between(0L, 600_000L), Importance.MEDIUM,
          "How long impressions may wait, once after the app starts, for a first model before those that find none go to the DLQ (reason no_model). Never scores without a model. Must stay below max.poll.interval.ms and, under exactly-once, transaction.timeout.ms (a waiting thread may hold an open transaction).")
      .define(MODEL_EXPECTED_SPEC_CONFIG, Type.STRING, "", null, Importance.MEDIUM,
          "Path of a model spec JSON, or of a .ctrm model, whose input fields (names, roles, types, transforms in order) every served model must have; others are rejected (spec_incompatible) even on a fresh start. Empty = the first model served, persisted in the checkpoint directory.")
      .define(MODEL_CHECKPOINT_ENABLED_CONFIG, Type.BOOLEAN, true, null, Importance.LOW,
          "Keep a local copy of the served model and the expected spec: a restart serves it at once, before replaying the models topic.")
      .define(MODEL_CHECKPOINT_DIR_CONFIG, Type.STRING, "", null, Importance.LOW,
          "Directory of the model checkpoint (a subdirectory per model name). Empty = <state.dir>/ctr-checkpoint/<application.id>.")
      .group("Delta refresh (docs/model-deltas.md)")
      .define(DELTA_ENABLED_CONFIG, Type.BOOLEAN, false, null, Importance.MEDIUM,
          "Apply the live model's compressed deltas (the recompressor's delta.enabled) between versions: copy-on-write, no pause; every score carries the delta sequence it was scored with.")
      .name(DELTAS_TOPIC_CONFIG, "model-deltas", Importance.MEDIUM,
          "Topic of the delta chains (key = model name); each served version's manifest names the offset where its chain starts.")
      .group("Health")
      .define(HEALTH_PROGRESS_INTERVAL_MS_CONFIG, Type.LONG, 5_000L, Range.between(0L, 3_600_000L), Importance.LOW,
          "How often to read the group's committed offsets and the input topics' end offsets (one admin client) for ctr_input_lag_records, ctr_input_stalled_seconds and ctr_input_partitions_stalled. 0 = off.")
      .define(HEALTH_STALL_THRESHOLD_MS_CONFIG, Type.LONG, 15_000L, Range.between(1L, WEEK_MS), Importance.LOW,
          "An input partition whose committed offset has not moved for this long while records wait is stalled: no live owner makes progress on it (e.g. its instance died and session.timeout.ms has not passed yet). Stalled partitions are counted in ctr_input_partitions_stalled and listed in the /health/ready body.")
      .group("Labels and online metrics")
      .define(LABELS_ENABLED_CONFIG, Type.BOOLEAN, true, null, Importance.MEDIUM, "Join impressions with clicks into the labeled topic and compute online metrics.")
      .define(ATTRIBUTION_WINDOW_MS_CONFIG, Type.LONG, 600_000L, Range.between(1L, WEEK_MS), Importance.MEDIUM,
          "A click counts for an impression when it arrives within this stream time after it; negatives are emitted once stream time passes the window.")
      .define(LABELS_PUNCTUATE_MS_CONFIG, Type.LONG, 1_000L, Range.between(1L, 3_600_000L), Importance.LOW,
          "Stream-time interval of the punctuator that closes expired windows and emits negatives.")
      .define(METRICS_WINDOW_MS_CONFIG, Type.LONG, 900_000L, Range.between(1_000L, WEEK_MS), Importance.LOW,
          "Sliding window of the online AUC / logloss / calibration gauges.")
      .build();

  /** Parses and cross-checks {@code props}; unknown keys are kept for pass-through. */
  public TopologyConfig(Map<?, ?> props) {
    super(DEF, props);
  }

  /** Whether scores go out as one ImpressionScores record per impression. */
  public boolean perImpressionScores() {
    return "per-impression".equals(getString(SCORES_FORMAT_CONFIG));
  }



  /** The definitions (for docs and tooling). */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }

  @Override
  protected void crossCheck() {
    if (getLong(LABELS_PUNCTUATE_MS_CONFIG) > getLong(ATTRIBUTION_WINDOW_MS_CONFIG)) {
      throw new ConfigException(
          LABELS_PUNCTUATE_MS_CONFIG,
          getLong(LABELS_PUNCTUATE_MS_CONFIG),
          "must be <= " + ATTRIBUTION_WINDOW_MS_CONFIG + " (" + getLong(ATTRIBUTION_WINDOW_MS_CONFIG)
              + "): windows would close up to a full interval late");
    }
    Object pollInterval = originals().get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
    long maxPoll = pollInterval == null ? 300_000L : Long.parseLong(String.valueOf(pollInterval).trim());
    if (getLong(MODEL_WAIT_MS_CONFIG) >= maxPoll) {
      throw new ConfigException(
          MODEL_WAIT_MS_CONFIG, getLong(MODEL_WAIT_MS_CONFIG),
          "must be < max.poll.interval.ms (" + maxPoll + "): a waiting stream thread would be kicked out of the group");
    }
    Object maxRequest = originals().get(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
    if (maxRequest == null) {
      maxRequest = originals().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    }
    long maxRequestBytes = maxRequest == null ? 1_048_576L : Long.parseLong(String.valueOf(maxRequest).trim());
    if (getInt(MAX_RECORD_BYTES_CONFIG) > maxRequestBytes - 65_536) {
      throw new ConfigException(MAX_RECORD_BYTES_CONFIG, getInt(MAX_RECORD_BYTES_CONFIG),
          "must be at most the producer's max.request.size (" + maxRequestBytes
              + ") minus 64 KiB: the label join forwards an impression's bytes with its scores");
    }
    String guarantee = String.valueOf(streamsProperties().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    if (!guarantee.equals(StreamsConfig.AT_LEAST_ONCE)) {
      Object tt = originals().get(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG));
      if (tt == null) {
        tt = originals().get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG);
      }
      // Kafka Streams sets 10 s under exactly-once unless the user overrides it
      long txTimeout = tt == null ? 10_000L : Long.parseLong(String.valueOf(tt).trim());
      if (getLong(MODEL_WAIT_MS_CONFIG) >= txTimeout) {
        throw new ConfigException(
            MODEL_WAIT_MS_CONFIG, getLong(MODEL_WAIT_MS_CONFIG),
            "must be < transaction.timeout.ms (" + txTimeout + ") under " + guarantee
                + ": a thread waiting with an open transaction would be fenced");
      }
    }
    // validates every pass-through property as Kafka Streams will
    new StreamsConfig(streamsProperties());
    expectedSpec();
  }

  /**
   * The configured expected spec, read from {@code model.expected.spec}; empty when unset.
   *
   * @throws ConfigException naming the path when it cannot be read as a spec or a model
   */
  public Optional<ModelSpec> expectedSpec() {
    String path = getString(MODEL_EXPECTED_SPEC_CONFIG).trim();
    if (path.isEmpty()) {
      return Optional.empty();
    }
    Path p = Path.of(path);
    try {
      if (path.endsWith(CtrmFormat.FILE_EXTENSION)) {
        return Optional.of(ModelSpec.fromJson(CtrmFormat.read(p).specJson()));
      }
      return Optional.of(ModelSpec.fromJson(Files.readString(p, StandardCharsets.UTF_8)));
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(MODEL_EXPECTED_SPEC_CONFIG, path,
          "must be a readable model spec JSON or .ctrm model: " + e.getMessage());
    }
  }

  /** The checkpoint directory of model {@code name}, or empty when checkpoints are off. */
  public Optional<Path> checkpointDir(String name) {
    if (!getBoolean(MODEL_CHECKPOINT_ENABLED_CONFIG)) {
      return Optional.empty();
    }
    String dir = getString(MODEL_CHECKPOINT_DIR_CONFIG).trim();
    Path base = dir.isEmpty()
        ? Path.of(new StreamsConfig(streamsProperties()).getString(StreamsConfig.STATE_DIR_CONFIG), "ctr-checkpoint",
            getString(APPLICATION_ID_CONFIG))
        : Path.of(dir);
    return Optional.of(base.resolve(name));
  }

  /**
   * The Kafka Streams properties: every original property that is not one of ours, plus
   * bootstrap servers, application id and our defaults ({@code exactly_once_v2},
   * {@code metrics.recording.level=INFO}, {@code task.assignor.class} =
   * {@link SubtopologyBalancedAssignor}, the global consumer's {@code max.partition.fetch.bytes}
   * = {@link ModelPublisher#FETCH_BYTES}) unless the caller set them.
   */
  public Properties streamsProperties() {
    Properties p = new Properties();
    p.putAll(notOurs());
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, getString(APPLICATION_ID_CONFIG));
    p.putIfAbsent(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.putIfAbsent(StreamsConfig.METRICS_RECORDING_LEVEL_CONFIG, "INFO");
    // failover: a dead instance's tasks move after 10 s instead of the consumer default of 45 s
    // (docs/topology.md, "Recovery"); the broker's group.min.session.timeout.ms is 6 s
    p.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, DEFAULT_SESSION_TIMEOUT_MS);
    // an output the producer refuses as too large dead-letters its input instead of killing the thread
    p.putIfAbsent(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, OutputExceptionHandler.class);
    p.put(OutputExceptionHandler.DLQ_TOPIC_CONFIG, getString(DLQ_TOPIC_CONFIG));
    // every instance scores: the scoring sub-topology's tasks spread evenly, not just the total count
    p.putIfAbsent(StreamsConfig.TASK_ASSIGNOR_CLASS_CONFIG, SubtopologyBalancedAssignor.class.getName());
    // the global consumer reads only the models topic: fetch responses below 1 MiB (see FETCH_BYTES)
    p.putIfAbsent(StreamsConfig.globalConsumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG),
        ModelPublisher.FETCH_BYTES);
    return p;
  }

  /**
   * The input, output and dead-letter topics with {@code topics.partitions} and
   * {@code topics.replication.factor}; the models topic compacted with one partition (one
   * ordered log per model).
   */
  @Override
  public List<NewTopic> requiredTopics() {
    Optional<Short> rf = Optional.of(getShort(TOPICS_REPLICATION_CONFIG));
    List<NewTopic> topics = new ArrayList<>();
    for (String t : List.of(impressionsTopic(), clicksTopic(), scoresTopic(), labeledTopic(), dlqTopic())) {
      topics.add(new NewTopic(t, Optional.of(getInt(TOPICS_PARTITIONS_CONFIG)), rf));
    }
    NewTopic models = KafkaTopics.compacted(modelsTopic(), 1);
    topics.add(new NewTopic(models.name(), Optional.of(1), rf).configs(models.configs()));
    if (deltaEnabled()) {
      topics.add(new NewTopic(deltasTopic(), Optional.of(1), rf).configs(java.util.Map.of("cleanup.policy", "delete")));
    }
    return topics;
  }

  /** Topic of clicks. */
  public String clicksTopic() {
    return getString(CLICKS_TOPIC_CONFIG);
  }

  /** Topic of scores. */
  public String scoresTopic() {
    return getString(SCORES_TOPIC_CONFIG);
  }

  /** Dead-letter topic. */
  public String dlqTopic() {
    return getString(DLQ_TOPIC_CONFIG);
  }

  /** Input wire format. */
  public WireFormat inputFormat() {
    return WireFormat.parse(getString(INPUT_FORMAT_CONFIG));
  }

  /** Candidate cap. */
  public int maxCandidates() {
    return getInt(MAX_CANDIDATES_CONFIG);
  }

  /** The impression codec with this config's input format and limits. */
  public ImpressionCodec impressionCodec() {
    return new ImpressionCodec(inputFormat(), maxCandidates(), getInt(MAX_ID_LENGTH_CONFIG),
        getInt(MAX_RECORD_BYTES_CONFIG), null);
  }

  /** Fraction of impressions the shadow scores. */
  public double shadowSampleRate() {
    return getDouble(SHADOW_SAMPLE_RATE_CONFIG);
  }

  /** Bounded wait for a first model, per task start. */
  public long modelWaitMs() {
    return getLong(MODEL_WAIT_MS_CONFIG);
  }

  /** Whether the label join runs. */
  public boolean labelsEnabled() {
    return getBoolean(LABELS_ENABLED_CONFIG);
  }

  /** Attribution window. */
  public long attributionWindowMs() {
    return getLong(ATTRIBUTION_WINDOW_MS_CONFIG);
  }

  /** Punctuation interval of the label join. */
  public long labelsPunctuateMs() {
    return getLong(LABELS_PUNCTUATE_MS_CONFIG);
  }

  /** Online-metrics window. */
  public long onlineMetricsWindowMs() {
    return getLong(METRICS_WINDOW_MS_CONFIG);
  }

  /** The Streams application id (also its consumer group id). */
  public String applicationId() {
    return getString(APPLICATION_ID_CONFIG);
  }

  /** Poll interval of the input progress monitor; 0 = off. */
  public long progressIntervalMs() {
    return getLong(HEALTH_PROGRESS_INTERVAL_MS_CONFIG);
  }

  /** Stall threshold of the input progress monitor. */
  public long stallThresholdMs() {
    return getLong(HEALTH_STALL_THRESHOLD_MS_CONFIG);
  }

  /** Whether to create missing topics. */
  public boolean createTopics() {
    return getBoolean(TOPICS_CREATE_CONFIG);
  }

  /** The settings reference as Markdown, generated from the definitions. */
  public static String toMarkdown() {
    return toMarkdown(DEF, "topology", TopologyConfig.class,
        "Every other property passes through to Kafka Streams and its clients unchanged "
            + "(e.g. `num.stream.threads`, `producer.linger.ms`); `processing.guarantee` defaults to "
            + "`exactly_once_v2` and `session.timeout.ms` to " + DEFAULT_SESSION_TIMEOUT_MS
            + " (failover in 10 s instead of 45 s; docs/topology.md, Recovery).");
  }
}
