package io.ctrstreams.topology;

import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.serving.ModelPublisher;
import io.ctrstreams.serving.ServiceProperties;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Configuration of the scoring topology service, in Kafka {@link ConfigDef} style: each setting
 * is a {@code *_CONFIG} name with a {@code *_DOC}, a default and a validator; settings that
 * constrain each other are cross-checked in the constructor (the exception names both values
 * and the reason). Every property that is not one of ours passes through unchanged to Kafka
 * Streams (and its clients, e.g. {@code producer.linger.ms}); {@link #streamsProperties()}
 * adds our defaults ({@code processing.guarantee=exactly_once_v2}) and validates the result
 * with {@link StreamsConfig}. {@link #toMarkdown()} renders the reference table
 * (docs/topology-config.md, {@code ctr topology --print-config-docs}).
 */
public final class TopologyConfig extends AbstractConfig {
  private static final String GROUP_TOPICS = "Topics";
  private static final String GROUP_INPUT = "Input";
  private static final String GROUP_MODEL = "Model";
  private static final String GROUP_LABELS = "Labels and online metrics";
  private static final String GROUP_SERVICE = "Service";

  /** Kafka bootstrap servers (also a Streams property; ours only to give it a default). */
  public static final String BOOTSTRAP_SERVERS_CONFIG = StreamsConfig.BOOTSTRAP_SERVERS_CONFIG;
  /** Doc of {@link #BOOTSTRAP_SERVERS_CONFIG}. */
  public static final String BOOTSTRAP_SERVERS_DOC = "Kafka bootstrap servers, host:port[,host:port...].";

  /** Streams application id (consumer group, internal topic prefix, state directory name). */
  public static final String APPLICATION_ID_CONFIG = StreamsConfig.APPLICATION_ID_CONFIG;
  /** Doc of {@link #APPLICATION_ID_CONFIG}. */
  public static final String APPLICATION_ID_DOC =
      "Kafka Streams application id: consumer group, prefix of internal topics and state directory.";

  /** Impressions input topic. */
  public static final String IMPRESSIONS_TOPIC_CONFIG = "topic.impressions";
  /** Doc of {@link #IMPRESSIONS_TOPIC_CONFIG}. */
  public static final String IMPRESSIONS_TOPIC_DOC = "Input topic of impressions (one record per ad request, all candidates).";
  /** Clicks input topic. */
  public static final String CLICKS_TOPIC_CONFIG = "topic.clicks";
  /** Doc of {@link #CLICKS_TOPIC_CONFIG}. */
  public static final String CLICKS_TOPIC_DOC = "Input topic of clicks (impression id + ad id).";
  /** Scores output topic. */
  public static final String SCORES_TOPIC_CONFIG = "topic.scores";
  /** Doc of {@link #SCORES_TOPIC_CONFIG}. */
  public static final String SCORES_TOPIC_DOC = "Output topic: one Score per candidate, keyed by event id.";
  /** Labeled examples output topic. */
  public static final String LABELED_TOPIC_CONFIG = "topic.labeled";
  /** Doc of {@link #LABELED_TOPIC_CONFIG}. */
  public static final String LABELED_TOPIC_DOC = "Output topic of labeled examples (served pctr + click label).";
  /** Compacted models topic (chunks, manifests, pins). */
  public static final String MODELS_TOPIC_CONFIG = "topic.models";
  /** Doc of {@link #MODELS_TOPIC_CONFIG}. */
  public static final String MODELS_TOPIC_DOC = "Compacted topic carrying model chunks, manifests and pins; read into a global store.";
  /** Dead-letter topic. */
  public static final String DLQ_TOPIC_CONFIG = "topic.dlq";
  /** Doc of {@link #DLQ_TOPIC_CONFIG}. */
  public static final String DLQ_TOPIC_DOC =
      "Dead-letter topic: undecodable or invalid input, and impressions that found no model, with error and source headers.";
  /** Whether to create missing topics at startup. */
  public static final String TOPICS_CREATE_CONFIG = "topics.create";
  /** Doc of {@link #TOPICS_CREATE_CONFIG}. */
  public static final String TOPICS_CREATE_DOC = "Create the topics above at startup if they are missing (the models topic compacted).";
  /** Partitions of created topics. */
  public static final String TOPICS_PARTITIONS_CONFIG = "topics.partitions";
  /** Doc of {@link #TOPICS_PARTITIONS_CONFIG}. */
  public static final String TOPICS_PARTITIONS_DOC = "Partitions of topics created at startup (the models topic always gets 1).";
  /** Replication factor of created topics. */
  public static final String TOPICS_REPLICATION_CONFIG = "topics.replication.factor";
  /** Doc of {@link #TOPICS_REPLICATION_CONFIG}. */
  public static final String TOPICS_REPLICATION_DOC = "Replication factor of topics created at startup.";

  /** Input wire format. */
  public static final String INPUT_FORMAT_CONFIG = "input.format";
  /** Doc of {@link #INPUT_FORMAT_CONFIG}. */
  public static final String INPUT_FORMAT_DOC =
      "Wire format of impressions and clicks: avro (single-object encoding), json (docs/input-json.md) or auto (per record by the first byte).";
  /** Candidate cap per impression. */
  public static final String MAX_CANDIDATES_CONFIG = "input.max.candidates";
  /** Doc of {@link #MAX_CANDIDATES_CONFIG}. */
  public static final String MAX_CANDIDATES_DOC = "Impressions with more candidates go to the DLQ (reason too_many_candidates).";

  /** Name of the served model. */
  public static final String MODEL_NAME_CONFIG = "model.name";
  /** Doc of {@link #MODEL_NAME_CONFIG}. */
  public static final String MODEL_NAME_DOC = "Name of the live model on the models topic (keys <name>/...).";
  /** Name of the shadow model; empty disables shadow scoring. */
  public static final String SHADOW_MODEL_NAME_CONFIG = "shadow.model.name";
  /** Doc of {@link #SHADOW_MODEL_NAME_CONFIG}. */
  public static final String SHADOW_MODEL_NAME_DOC =
      "Optional shadow model (e.g. the full-precision model) scored alongside the live one: variant=shadow scores, online fidelity and its own AUC. Empty = off.";
  /** Bounded wait for a first model. */
  public static final String MODEL_WAIT_MS_CONFIG = "model.wait.ms";
  /** Doc of {@link #MODEL_WAIT_MS_CONFIG}. */
  public static final String MODEL_WAIT_MS_DOC =
      "How long impressions may wait, once after the app starts, for a first model before those that find none go to the DLQ (reason no_model). Never scores without a model. Must stay below max.poll.interval.ms and, under exactly-once, transaction.timeout.ms (a waiting thread may hold an open transaction).";

  /** Labels on/off. */
  public static final String LABELS_ENABLED_CONFIG = "labels.enabled";
  /** Doc of {@link #LABELS_ENABLED_CONFIG}. */
  public static final String LABELS_ENABLED_DOC = "Join impressions with clicks into the labeled topic and compute online metrics.";
  /** Attribution window. */
  public static final String ATTRIBUTION_WINDOW_MS_CONFIG = "labels.attribution.window.ms";
  /** Doc of {@link #ATTRIBUTION_WINDOW_MS_CONFIG}. */
  public static final String ATTRIBUTION_WINDOW_MS_DOC =
      "A click counts for an impression when it arrives within this stream time after it; negatives are emitted once stream time passes the window.";
  /** Punctuation interval for closing windows. */
  public static final String LABELS_PUNCTUATE_MS_CONFIG = "labels.punctuate.interval.ms";
  /** Doc of {@link #LABELS_PUNCTUATE_MS_CONFIG}. */
  public static final String LABELS_PUNCTUATE_MS_DOC = "Stream-time interval of the punctuator that closes expired windows and emits negatives.";
  /** Online-metrics sliding window. */
  public static final String METRICS_WINDOW_MS_CONFIG = "metrics.online.window.ms";
  /** Doc of {@link #METRICS_WINDOW_MS_CONFIG}. */
  public static final String METRICS_WINDOW_MS_DOC = "Sliding window of the online AUC / logloss / calibration gauges.";

  /** Prometheus port. */
  public static final String METRICS_PORT_CONFIG = "metrics.port";
  /** Doc of {@link #METRICS_PORT_CONFIG}. */
  public static final String METRICS_PORT_DOC = "Port of the HTTP endpoint serving /metrics, /health/live and /health/ready; 0 picks a free port.";
  /** Prometheus endpoint on/off. */
  public static final String METRICS_ENABLED_CONFIG = "metrics.enabled";
  /** Doc of {@link #METRICS_ENABLED_CONFIG}. */
  public static final String METRICS_ENABLED_DOC = "Serve the Prometheus endpoint.";

  private static final ConfigDef DEF = definition();

  private static ConfigDef definition() {
    ConfigDef d = new ConfigDef();
    int o = 0;
    d.define(BOOTSTRAP_SERVERS_CONFIG, Type.LIST, "localhost:9092", new HostPortList(),
        Importance.HIGH, BOOTSTRAP_SERVERS_DOC, GROUP_SERVICE, ++o, ConfigDef.Width.LONG, "Bootstrap servers");
    d.define(APPLICATION_ID_CONFIG, Type.STRING, "ctr-topology", new ConfigDef.NonEmptyStringWithoutControlChars(),
        Importance.HIGH, APPLICATION_ID_DOC, GROUP_SERVICE, ++o, ConfigDef.Width.MEDIUM, "Application id");
    d.define(METRICS_ENABLED_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, METRICS_ENABLED_DOC, GROUP_SERVICE, ++o, ConfigDef.Width.SHORT, "Metrics endpoint");
    d.define(METRICS_PORT_CONFIG, Type.INT, 9400, Range.between(0, 65535), Importance.MEDIUM, METRICS_PORT_DOC, GROUP_SERVICE, ++o, ConfigDef.Width.SHORT, "Metrics port");

    o = 0;
    for (String[] t : new String[][] {
        {IMPRESSIONS_TOPIC_CONFIG, "impressions", IMPRESSIONS_TOPIC_DOC},
        {CLICKS_TOPIC_CONFIG, "clicks", CLICKS_TOPIC_DOC},
        {SCORES_TOPIC_CONFIG, "scores", SCORES_TOPIC_DOC},
        {LABELED_TOPIC_CONFIG, "labeled", LABELED_TOPIC_DOC},
        {MODELS_TOPIC_CONFIG, "models", MODELS_TOPIC_DOC},
        {DLQ_TOPIC_CONFIG, "dlq", DLQ_TOPIC_DOC}}) {
      d.define(t[0], Type.STRING, t[1], new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH, t[2], GROUP_TOPICS, ++o, ConfigDef.Width.MEDIUM, t[0]);
    }
    d.define(TOPICS_CREATE_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, TOPICS_CREATE_DOC, GROUP_TOPICS, ++o, ConfigDef.Width.SHORT, "Create topics");
    d.define(TOPICS_PARTITIONS_CONFIG, Type.INT, 3, Range.between(1, 10_000), Importance.LOW, TOPICS_PARTITIONS_DOC, GROUP_TOPICS, ++o, ConfigDef.Width.SHORT, "Partitions");
    d.define(TOPICS_REPLICATION_CONFIG, Type.SHORT, (short) 1, Range.between(1, 32), Importance.LOW, TOPICS_REPLICATION_DOC, GROUP_TOPICS, ++o, ConfigDef.Width.SHORT, "Replication");

    o = 0;
    d.define(INPUT_FORMAT_CONFIG, Type.STRING, "avro", ValidString.in("avro", "json", "auto"), Importance.HIGH, INPUT_FORMAT_DOC, GROUP_INPUT, ++o, ConfigDef.Width.SHORT, "Input format");
    d.define(MAX_CANDIDATES_CONFIG, Type.INT, ImpressionCodec.DEFAULT_MAX_CANDIDATES, Range.between(1, 100_000), Importance.MEDIUM, MAX_CANDIDATES_DOC, GROUP_INPUT, ++o, ConfigDef.Width.SHORT, "Max candidates");

    o = 0;
    d.define(MODEL_NAME_CONFIG, Type.STRING, "ctr", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH, MODEL_NAME_DOC, GROUP_MODEL, ++o, ConfigDef.Width.MEDIUM, "Model");
    d.define(SHADOW_MODEL_NAME_CONFIG, Type.STRING, "", Importance.LOW, SHADOW_MODEL_NAME_DOC, GROUP_MODEL, ++o, ConfigDef.Width.MEDIUM, "Shadow model");
    d.define(MODEL_WAIT_MS_CONFIG, Type.LONG, 5_000L, Range.between(0L, 600_000L), Importance.MEDIUM, MODEL_WAIT_MS_DOC, GROUP_MODEL, ++o, ConfigDef.Width.SHORT, "Model wait");

    o = 0;
    d.define(LABELS_ENABLED_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM, LABELS_ENABLED_DOC, GROUP_LABELS, ++o, ConfigDef.Width.SHORT, "Labels");
    d.define(ATTRIBUTION_WINDOW_MS_CONFIG, Type.LONG, 600_000L, Range.between(1L, 7L * 24 * 3600 * 1000), Importance.MEDIUM, ATTRIBUTION_WINDOW_MS_DOC, GROUP_LABELS, ++o, ConfigDef.Width.SHORT, "Attribution window");
    d.define(LABELS_PUNCTUATE_MS_CONFIG, Type.LONG, 1_000L, Range.between(1L, 3_600_000L), Importance.LOW, LABELS_PUNCTUATE_MS_DOC, GROUP_LABELS, ++o, ConfigDef.Width.SHORT, "Punctuation");
    d.define(METRICS_WINDOW_MS_CONFIG, Type.LONG, 900_000L, Range.between(1_000L, 7L * 24 * 3600 * 1000), Importance.LOW, METRICS_WINDOW_MS_DOC, GROUP_LABELS, ++o, ConfigDef.Width.SHORT, "Online metrics window");
    return d;
  }

  /** Parses and cross-checks {@code props}; unknown keys are kept for pass-through. */
  public TopologyConfig(Map<?, ?> props) {
    super(DEF, props, false);
    crossCheck();
  }

  /** Loads a {@code .properties} file, then applies {@code overrides} on top. */
  public static TopologyConfig load(Path file, Map<String, String> overrides) throws IOException {
    return new TopologyConfig(ServiceProperties.load(file, overrides));
  }

  /** The definitions (for docs and tooling). */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }

  private void crossCheck() {
    if (getLong(LABELS_PUNCTUATE_MS_CONFIG) > getLong(ATTRIBUTION_WINDOW_MS_CONFIG)) {
      throw new ConfigException(
          LABELS_PUNCTUATE_MS_CONFIG,
          getLong(LABELS_PUNCTUATE_MS_CONFIG),
          "must be <= " + ATTRIBUTION_WINDOW_MS_CONFIG + " (" + getLong(ATTRIBUTION_WINDOW_MS_CONFIG)
              + "): windows would close up to a full interval late");
    }
    if (shadowModelName() != null && shadowModelName().equals(modelName())) {
      throw new ConfigException(
          SHADOW_MODEL_NAME_CONFIG, shadowModelName(),
          "must differ from " + MODEL_NAME_CONFIG + " (" + modelName() + "): a model cannot shadow itself");
    }
    Set<String> topics = new java.util.HashSet<>();
    for (String k : new String[] {IMPRESSIONS_TOPIC_CONFIG, CLICKS_TOPIC_CONFIG, SCORES_TOPIC_CONFIG,
        LABELED_TOPIC_CONFIG, MODELS_TOPIC_CONFIG, DLQ_TOPIC_CONFIG}) {
      if (!topics.add(getString(k))) {
        throw new ConfigException(k, getString(k), "is already used by another topic setting; every topic must be distinct");
      }
    }
    Object pollInterval = originals().get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
    long maxPoll = pollInterval == null ? 300_000L : Long.parseLong(String.valueOf(pollInterval).trim());
    if (getLong(MODEL_WAIT_MS_CONFIG) >= maxPoll) {
      throw new ConfigException(
          MODEL_WAIT_MS_CONFIG, getLong(MODEL_WAIT_MS_CONFIG),
          "must be < max.poll.interval.ms (" + maxPoll + "): a waiting stream thread would be kicked out of the group");
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
  }

  /**
   * The Kafka Streams properties: every original property that is not one of ours, plus
   * bootstrap servers, application id and our defaults ({@code exactly_once_v2},
   * {@code metrics.recording.level=INFO}, the global consumer's {@code max.partition.fetch.bytes}
   * = {@link ModelPublisher#FETCH_BYTES}) unless the caller set them.
   */
  public Properties streamsProperties() {
    Properties p = new Properties();
    p.putAll(ServiceProperties.passThrough(originals(), DEF.names(), getList(BOOTSTRAP_SERVERS_CONFIG)));
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, getString(APPLICATION_ID_CONFIG));
    p.putIfAbsent(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.putIfAbsent(StreamsConfig.METRICS_RECORDING_LEVEL_CONFIG, "INFO");
    // the global consumer reads only the models topic: fetch responses below 1 MiB (see FETCH_BYTES)
    p.putIfAbsent(StreamsConfig.globalConsumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG),
        ModelPublisher.FETCH_BYTES);
    return p;
  }

  /** Topic of impressions. */
  public String impressionsTopic() {
    return getString(IMPRESSIONS_TOPIC_CONFIG);
  }

  /** Topic of clicks. */
  public String clicksTopic() {
    return getString(CLICKS_TOPIC_CONFIG);
  }

  /** Topic of scores. */
  public String scoresTopic() {
    return getString(SCORES_TOPIC_CONFIG);
  }

  /** Topic of labeled examples. */
  public String labeledTopic() {
    return getString(LABELED_TOPIC_CONFIG);
  }

  /** Compacted models topic. */
  public String modelsTopic() {
    return getString(MODELS_TOPIC_CONFIG);
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

  /** Live model name. */
  public String modelName() {
    return getString(MODEL_NAME_CONFIG);
  }

  /** Shadow model name, or null when shadow scoring is off. */
  public String shadowModelName() {
    String s = getString(SHADOW_MODEL_NAME_CONFIG).trim();
    return s.isEmpty() ? null : s;
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

  /** Whether to serve /metrics. */
  public boolean metricsEnabled() {
    return getBoolean(METRICS_ENABLED_CONFIG);
  }

  /** Prometheus endpoint port. */
  public int metricsPort() {
    return getInt(METRICS_PORT_CONFIG);
  }

  /** Whether to create missing topics. */
  public boolean createTopics() {
    return getBoolean(TOPICS_CREATE_CONFIG);
  }

  /** Partitions of created topics. */
  public int topicPartitions() {
    return getInt(TOPICS_PARTITIONS_CONFIG);
  }

  /** Replication of created topics. */
  public short topicReplicationFactor() {
    return getShort(TOPICS_REPLICATION_CONFIG);
  }

  /** The settings reference as a Markdown table, grouped, generated from the definitions. */
  public static String toMarkdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("# ctr topology configuration\n\n")
        .append("Generated from `TopologyConfig` (`ctr topology --print-config-docs`); do not edit by hand.\n")
        .append("Every other property passes through to Kafka Streams and its clients unchanged ")
        .append("(e.g. `num.stream.threads`, `producer.linger.ms`); `processing.guarantee` defaults to ")
        .append("`exactly_once_v2`.\n");
    for (String group : DEF.groups()) {
      sb.append("\n## ").append(group).append("\n\n");
      sb.append("| name | type | default | valid values | importance | description |\n");
      sb.append("|---|---|---|---|---|---|\n");
      for (ConfigDef.ConfigKey k : DEF.configKeys().values()) {
        if (!group.equals(k.group)) {
          continue;
        }
        String def = k.hasDefault() ? ConfigDef.convertToString(k.defaultValue, k.type) : "(required)";
        sb.append("| `").append(k.name).append("` | ")
            .append(k.type.name().toLowerCase(Locale.ROOT)).append(" | ")
            .append(def == null || def.isEmpty() ? "\"\"" : "`" + def + "`").append(" | ")
            .append(k.validator == null ? "" : escape(k.validator.toString())).append(" | ")
            .append(k.importance.name().toLowerCase(Locale.ROOT)).append(" | ")
            .append(escape(k.documentation)).append(" |\n");
      }
    }
    return sb.toString();
  }

  /** Validates a non-empty list of host:port entries. */
  private static final class HostPortList implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      java.util.List<?> list = (java.util.List<?>) value;
      if (list == null || list.isEmpty()) {
        throw new ConfigException(name, value, "at least one host:port is required");
      }
      for (Object o : list) {
        String hp = String.valueOf(o);
        int colon = hp.lastIndexOf(':');
        if (colon <= 0 || colon == hp.length() - 1) {
          throw new ConfigException(name, value, "entry '" + hp + "' is not host:port");
        }
      }
    }

    @Override
    public String toString() {
      return "non-empty list of host:port";
    }
  }

  private static String escape(String s) {
    return s.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
  }
}
