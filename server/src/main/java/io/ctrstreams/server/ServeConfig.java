package io.ctrstreams.server;

import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ServiceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Settings of {@code ctr serve} (Kafka {@code ConfigDef} style, docs/serve-config.md): where
 * models come from ({@code model.file}, else the models topic through the registry), the
 * server's ports and limits, and the impression log the label join reads. Every property that is
 * not ours passes through to the Kafka clients.
 */
public final class ServeConfig extends ServiceConfig {
  /** Address the servers bind. */
  public static final String HOST_CONFIG = "server.host";
  /** REST port. */
  public static final String PORT_CONFIG = "server.port";
  /** gRPC port; -1 = off. */
  public static final String GRPC_PORT_CONFIG = "server.grpc.port";
  /** Event-loop threads; 0 = the core count. */
  public static final String THREADS_CONFIG = "server.threads";
  /** The REST server's transport: auto, epoll or nio. */
  public static final String TRANSPORT_CONFIG = "server.transport";
  /** The REST transport (auto, epoll, nio). */
  public String transport() {
    return getString(TRANSPORT_CONFIG);
  }

  /** Largest request body. */
  public static final String MAX_REQUEST_BYTES_CONFIG = "server.max.request.bytes";
  /** Most candidates per request (the topology's key). */
  public static final String MAX_CANDIDATES_CONFIG = "input.max.candidates";
  /** Longest event or ad id (the topology's key). */
  public static final String MAX_ID_LENGTH_CONFIG = "input.max.id.length";
  /** A .ctrm file to serve instead of the models topic. */
  public static final String MODEL_FILE_CONFIG = "model.file";
  /** A .ctrm file to serve as the shadow (with {@link #MODEL_FILE_CONFIG}). */
  public static final String SHADOW_MODEL_FILE_CONFIG = "shadow.model.file";
  /** How often a served model file is checked for a new version; 0 = never. */
  public static final String MODEL_FILE_POLL_MS_CONFIG = "model.file.poll.ms";
  /** Fraction of requests the shadow scores (the topology's key). */
  public static final String SHADOW_SAMPLE_RATE_CONFIG = "shadow.sample.rate";
  /** Log served requests to Kafka. */
  public static final String LOG_ENABLED_CONFIG = "log.enabled";
  /** Topic of the served impressions (the label join's input). */
  public static final String LOG_TOPIC_CONFIG = "topic.served";
  /** Served requests waiting for the log's producer thread. */
  public static final String LOG_QUEUE_CAPACITY_CONFIG = "log.queue.capacity";
  /** Whether a full log queue blocks responses instead of dropping. */
  public static final String LOG_BLOCK_WHEN_FULL_CONFIG = "log.block.when.full";

  private static final ConfigDef DEF = new Definitions()
      .group("Server")
      .define(HOST_CONFIG, Type.STRING, "0.0.0.0", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.MEDIUM,
          "Address the REST and gRPC servers bind.")
      .define(PORT_CONFIG, Type.INT, 8080, Range.between(0, 65535), Importance.HIGH,
          "REST port: the Open Inference Protocol (/v2/...), /v1/models/{name}/score and /metrics. 0 = a free port.")
      .define(GRPC_PORT_CONFIG, Type.INT, 8081, Range.between(-1, 65535), Importance.MEDIUM,
          "gRPC port of the Open Inference Protocol's GRPCInferenceService. 0 = a free port, -1 = off.")
      .define(THREADS_CONFIG, Type.INT, 0, Range.between(0, 1024), Importance.LOW,
          "Event-loop threads that parse and score requests. 0 = the number of cores.")
      .define(TRANSPORT_CONFIG, Type.STRING, "auto", ConfigDef.ValidString.in(CtrServer.TRANSPORTS.toArray(new String[0])), Importance.LOW,
          "The REST server's network transport: auto = Netty's native epoll where it loads (Linux x86_64), else Java NIO; "
              + "epoll = required (the server fails to start where it cannot load); nio = Java NIO. gRPC uses grpc-java's own.")
      .define(MAX_REQUEST_BYTES_CONFIG, Type.INT, ImpressionCodec.DEFAULT_MAX_RECORD_BYTES, Range.between(64, 64 << 20),
          Importance.MEDIUM, "Largest request body; larger ones are answered 413 (reason too_large).")
      .define(MAX_CANDIDATES_CONFIG, Type.INT, ImpressionCodec.DEFAULT_MAX_CANDIDATES, Range.between(1, 100_000),
          Importance.MEDIUM, "Requests with more candidates are answered 413 (reason too_many_candidates).")
      .define(MAX_ID_LENGTH_CONFIG, Type.INT, ImpressionCodec.DEFAULT_MAX_ID_LENGTH, Range.between(1, 65_536),
          Importance.LOW, "Requests whose eventId or an adId is longer (characters) are answered 413 (reason too_large), as the topology's DLQ would take them.")
      .group("Model")
      .define(MODEL_FILE_CONFIG, Type.STRING, "", null, Importance.HIGH,
          "A .ctrm model to serve with no Kafka at all. Empty = follow the models topic (hot swap, pin) through the model registry.")
      .define(MODEL_FILE_POLL_MS_CONFIG, Type.LONG, 1000L, Range.between(0L, 86_400_000L), Importance.LOW,
          "With model.file: how often (ms) the file (and shadow.model.file) is checked; a changed file with a newer version is "
              + "loaded and hot-swapped in without a pause, one that fails (corrupt, other inputs, not newer) is refused and the "
              + "previous model keeps serving. Replace a file by renaming a new one over it. 0 = never.")
      .define(SHADOW_MODEL_FILE_CONFIG, Type.STRING, "", null, Importance.LOW,
          "With model.file: a .ctrm model scored as the shadow. Empty = none.")
      .name(MODELS_TOPIC_CONFIG, "models", Importance.HIGH, "Compacted topic carrying model chunks, manifests and pins (without model.file).")
      .name(MODEL_NAME_CONFIG, "ctr", Importance.HIGH, "Name of the live model: on the models topic (keys <name>/...) and in the URLs.")
      .define(SHADOW_MODEL_NAME_CONFIG, Type.STRING, "", null, Importance.LOW,
          "Optional shadow model on the models topic, scored alongside the live one on the sampled requests (its scores go to the impression log). Empty = off.")
      .define(SHADOW_SAMPLE_RATE_CONFIG, Type.DOUBLE, 1.0, Range.between(0.0, 1.0), Importance.LOW,
          "Fraction of requests the shadow model also scores, chosen by a hash of the request id (eventId, or the OIP request id) exactly as the topology chooses by event id.")
      .group("Impression log")
      .define(DELTA_ENABLED_CONFIG, Type.BOOLEAN, false, null, Importance.MEDIUM,
          "With the models topic: apply the live model's compressed deltas between versions (the recompressor's delta.enabled), copy-on-write, no pause (docs/model-deltas.md); the shadow follows its own chain.")
      .name(DELTAS_TOPIC_CONFIG, "model-deltas", Importance.MEDIUM,
          "Topic of the delta chains (key = model name); each served version's manifest names where its chain starts.")
      .define(LOG_ENABLED_CONFIG, Type.BOOLEAN, true, null, Importance.MEDIUM,
          "Log every served request (impression, scores, model version, shadow scores) to topic.served for the label join. Off with model.file unless set.")
      .name(LOG_TOPIC_CONFIG, "ctr-topology-label-join-repartition", Importance.MEDIUM,
          "Topic of the served impressions: the topology's label-join input (<application.id>-label-join-repartition), keyed by event id, so clicks on served ads become labels, online AUC and training data.")
      .define(LOG_QUEUE_CAPACITY_CONFIG, Type.INT, 65_536, Range.between(1, 10_000_000), Importance.LOW,
          "Served requests waiting for the log's producer thread; when full they are dropped and counted (ctr_impression_log_dropped_total) unless log.block.when.full.")
      .define(LOG_BLOCK_WHEN_FULL_CONFIG, Type.BOOLEAN, false, null, Importance.LOW,
          "Block responses while the log queue is full instead of dropping: no served impression is lost, at the cost of latency when Kafka is slow.")
      .build();

  /** Parses and cross-checks {@code props}; unknown keys are kept for pass-through. */
  public ServeConfig(Map<?, ?> props) {
    super(DEF, props);
  }

  /** The definitions (for docs and tooling). */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }

  /** The settings reference as Markdown. */
  public static String toMarkdown() {
    return toMarkdown(DEF, "serve", ServeConfig.class, CLIENT_PASS_THROUGH);
  }

  @Override
  protected void crossCheck() {
    for (String k : List.of(MODEL_FILE_CONFIG, SHADOW_MODEL_FILE_CONFIG)) {
      String f = getString(k).trim();
      if (!f.isEmpty() && !Files.isReadable(Path.of(f))) {
        throw new ConfigException(k, f, "is not a readable file");
      }
    }
    if (!getString(SHADOW_MODEL_FILE_CONFIG).isBlank() && modelFile().isEmpty()) {
      throw new ConfigException(SHADOW_MODEL_FILE_CONFIG, getString(SHADOW_MODEL_FILE_CONFIG),
          "needs " + MODEL_FILE_CONFIG + " (a topic-followed server takes its shadow from shadow.model.name)");
    }
    if (grpcPort() > 0 && grpcPort() == port()) {
      throw new ConfigException(GRPC_PORT_CONFIG, grpcPort(), "must differ from " + PORT_CONFIG);
    }
  }

  @Override
  public List<NewTopic> requiredTopics() {
    List<NewTopic> topics = new ArrayList<>();
    if (modelFile().isEmpty()) {
      topics.add(KafkaTopics.compacted(modelsTopic(), 1));
      if (deltaEnabled()) {
        topics.add(KafkaTopics.plain(deltasTopic(), 1));
      }
    }
    return topics;
  }

  /** The model file to serve, if set. */
  public Optional<Path> modelFile() {
    String f = getString(MODEL_FILE_CONFIG).trim();
    return f.isEmpty() ? Optional.empty() : Optional.of(Path.of(f));
  }

  /** The shadow model file, if set. */
  public Optional<Path> shadowModelFile() {
    String f = getString(SHADOW_MODEL_FILE_CONFIG).trim();
    return f.isEmpty() ? Optional.empty() : Optional.of(Path.of(f));
  }

  /** Whether served requests are logged: log.enabled as set; unset, on unless a model file is served. */
  public boolean logEnabled() {
    return originals().containsKey(LOG_ENABLED_CONFIG) ? getBoolean(LOG_ENABLED_CONFIG) : modelFile().isEmpty();
  }

  /** How often a served model file is checked for a new version (ms); 0 = never. */
  public long modelFilePollMs() {
    return getLong(MODEL_FILE_POLL_MS_CONFIG);
  }

  /** Bind address. */
  public String host() {
    return getString(HOST_CONFIG);
  }

  /** REST port. */
  public int port() {
    return getInt(PORT_CONFIG);
  }

  /** gRPC port, -1 = off. */
  public int grpcPort() {
    return getInt(GRPC_PORT_CONFIG);
  }

  /** Event-loop threads (resolved: >= 1). */
  public int threads() {
    int t = getInt(THREADS_CONFIG);
    return t == 0 ? Math.max(1, Runtime.getRuntime().availableProcessors()) : t;
  }

  /** Largest request body. */
  public int maxRequestBytes() {
    return getInt(MAX_REQUEST_BYTES_CONFIG);
  }

  /** Most candidates per request. */
  public int maxCandidates() {
    return getInt(MAX_CANDIDATES_CONFIG);
  }

  /** Longest id. */
  public int maxIdLength() {
    return getInt(MAX_ID_LENGTH_CONFIG);
  }

  /** Shadow sample rate. */
  public double shadowSampleRate() {
    return getDouble(SHADOW_SAMPLE_RATE_CONFIG);
  }

  /** The impression log's topic. */
  public String logTopic() {
    return getString(LOG_TOPIC_CONFIG);
  }

  /** The impression log's queue capacity. */
  public int logQueueCapacity() {
    return getInt(LOG_QUEUE_CAPACITY_CONFIG);
  }

  /** Whether a full log queue blocks. */
  public boolean logBlockWhenFull() {
    return getBoolean(LOG_BLOCK_WHEN_FULL_CONFIG);
  }
}
