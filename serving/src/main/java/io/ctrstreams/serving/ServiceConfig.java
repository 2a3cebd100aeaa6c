package io.ctrstreams.serving;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Base of every ctr-streams service configuration (topology, recompressor, trainer, publisher),
 * Kafka {@link ConfigDef} style (STYLE.md 3): {@code *_CONFIG} names, a documented definition
 * with a validator on every number, and cross-setting checks that name the value and the reason.
 * A subclass defines only its own keys (through {@link Definitions}) and checks; this class holds
 * what they share:
 *
 * <ul>
 *   <li>{@code bootstrap.servers} (validated host:port list) and, for services with an HTTP
 *       endpoint, one meaning of {@code metrics.port}: a port, 0 = a free one, -1 = off;
 *   <li>key names several services use ({@code topic.models}, {@code model.name}, ...), so one
 *       setting means one thing everywhere, and the check that every {@code topic.*} is distinct;
 *   <li>the Kafka client configs, derived as {@code StreamsConfig} derives them: a property that
 *       is not ours goes to the clients that know it ({@code security.protocol}, {@code sasl.*},
 *       {@code ssl.*} to all), a property no client knows (e.g. a custom login module's option)
 *       to all, and {@code consumer.}/{@code producer.}/{@code admin.}-prefixed ones override it
 *       for that client only; every derived config is validated as the client will;
 *   <li>{@link #requiredTopics()}, created by {@link KafkaTopics#ensure(List)};
 *   <li>loading ({@link #properties}) and the Markdown reference ({@link #toMarkdown}).
 * </ul>
 *
 * <p>An accessor of a shared key ({@link #modelsTopic()}, {@link #metricsPort()}, ...) is for
 * the services that define the key; on another it throws {@link ConfigException}.
 */
public abstract class ServiceConfig extends AbstractConfig {
  /** Kafka bootstrap servers. */
  public static final String BOOTSTRAP_SERVERS_CONFIG = CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG;
  /** Whether the service serves its HTTP endpoint. */
  public static final String METRICS_ENABLED_CONFIG = "metrics.enabled";
  /** Port of the service's HTTP endpoint; 0 = a free port, -1 = off. */
  public static final String METRICS_PORT_CONFIG = "metrics.port";
  /** Consumer group id. */
  public static final String GROUP_ID_CONFIG = ConsumerConfig.GROUP_ID_CONFIG;
  /** Compacted models topic (chunks, manifests, pins of the served models). */
  public static final String MODELS_TOPIC_CONFIG = "topic.models";
  /** Topic of full-precision snapshots. */
  public static final String MODEL_UPDATES_TOPIC_CONFIG = "topic.model.updates";
  /** Topic of model delta chains (key = model name; docs/model-deltas.md). */
  public static final String DELTAS_TOPIC_CONFIG = "topic.model.deltas";
  /** Whether the service takes part in delta refresh. */
  public static final String DELTA_ENABLED_CONFIG = "delta.enabled";
  /** Impressions topic. */
  public static final String IMPRESSIONS_TOPIC_CONFIG = "topic.impressions";
  /** Labeled examples topic. */
  public static final String LABELED_TOPIC_CONFIG = "topic.labeled";
  /** Name of the model the service serves, publishes or trains. */
  public static final String MODEL_NAME_CONFIG = "model.name";
  /** Name of the shadow model; empty = none. */
  public static final String SHADOW_MODEL_NAME_CONFIG = "shadow.model.name";

  /** Prefix of a setting only the consumers get; wins over the unprefixed setting. */
  public static final String CONSUMER_PREFIX = "consumer.";
  /** Prefix of a setting only the producers get; wins over the unprefixed setting. */
  public static final String PRODUCER_PREFIX = "producer.";
  /** Prefix of a setting only the admin client gets; wins over the unprefixed setting. */
  public static final String ADMIN_PREFIX = "admin.";

  private static final String TOPIC_PREFIX = "topic.";
  private final Set<String> ours;

  /**
   * Parses {@code props} against {@code definition}, runs the service's {@link #crossCheck()},
   * then the shared checks.
   */
  protected ServiceConfig(ConfigDef definition, Map<?, ?> props) {
    super(definition, props, false);
    this.ours = definition.names();
    crossCheck();
    Map<String, String> topicKeys = new HashMap<>();
    for (String k : ours) {
      if (k.startsWith(TOPIC_PREFIX)) {
        String other = topicKeys.putIfAbsent(getString(k), k);
        if (other != null) {
          throw new ConfigException(k, getString(k),
              "is already used by another topic setting (" + other + "); every topic must be distinct");
        }
      }
    }
    if (ours.contains(SHADOW_MODEL_NAME_CONFIG) && modelName().equals(shadowModelName())) {
      throw new ConfigException(SHADOW_MODEL_NAME_CONFIG, shadowModelName(),
          "must differ from " + MODEL_NAME_CONFIG + " (" + modelName() + "): a model cannot shadow itself");
    }
    // fail at startup, naming the setting, rather than when a client is first created
    ConsumerConfig.configDef().parse(consumerConfigs(null, "validation"));
    ProducerConfig.configDef().parse(producerConfigs());
    AdminClientConfig.configDef().parse(adminConfigs());
  }

  /**
   * The service's checks of settings that constrain each other; throws a {@link ConfigException}
   * naming the value and the reason. Called by the constructor, so it may use only the parsed
   * values.
   */
  protected abstract void crossCheck();

  /**
   * The properties of {@code file} (may be null: none), then {@code overrides} on top: the
   * layering of {@code --config FILE}, the dedicated options and {@code --set}.
   */
  public static Map<String, Object> properties(Path file, Map<String, ?> overrides) throws IOException {
    Properties p = new Properties();
    if (file != null) {
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      }
    }
    Map<String, Object> m = new HashMap<>();
    p.forEach((k, v) -> m.put(String.valueOf(k), v));
    m.putAll(overrides);
    return m;
  }

  /** The topics the service reads or writes, as {@link KafkaTopics#ensure(List)} creates them. */
  public abstract List<NewTopic> requiredTopics();

  /** Kafka bootstrap servers. */
  public List<String> bootstrapServers() {
    return getList(BOOTSTRAP_SERVERS_CONFIG);
  }

  /** Whether to serve the HTTP endpoint: {@code metrics.enabled} and a port other than -1. */
  public boolean metricsEnabled() {
    return getBoolean(METRICS_ENABLED_CONFIG) && metricsPort() >= 0;
  }

  /** Port of the HTTP endpoint; 0 = a free port, -1 = off. */
  public int metricsPort() {
    return getInt(METRICS_PORT_CONFIG);
  }

  /** Consumer group id. */
  public String groupId() {
    return getString(GROUP_ID_CONFIG);
  }

  /** Compacted models topic. */
  public String modelsTopic() {
    return getString(MODELS_TOPIC_CONFIG);
  }

  /** Whether the service takes part in delta refresh ({@code delta.enabled}; services that define it). */
  public boolean deltaEnabled() {
    return getBoolean(DELTA_ENABLED_CONFIG);
  }

  /** Topic of the delta chains ({@code topic.model.deltas}; services that define it). */
  public String deltasTopic() {
    return getString(DELTAS_TOPIC_CONFIG);
  }

  /** Topic of full snapshots. */
  public String modelUpdatesTopic() {
    return getString(MODEL_UPDATES_TOPIC_CONFIG);
  }

  /** Impressions topic. */
  public String impressionsTopic() {
    return getString(IMPRESSIONS_TOPIC_CONFIG);
  }

  /** Labeled examples topic. */
  public String labeledTopic() {
    return getString(LABELED_TOPIC_CONFIG);
  }

  /** Name of the model the service serves, publishes or trains. */
  public String modelName() {
    return getString(MODEL_NAME_CONFIG);
  }

  /** Shadow model name, or null when there is none. */
  public String shadowModelName() {
    String s = getString(SHADOW_MODEL_NAME_CONFIG).trim();
    return s.isEmpty() ? null : s;
  }

  /**
   * Every original property that is not one of ours, plus the bootstrap servers: what Kafka
   * Streams gets, which derives its clients' configs itself.
   */
  protected Map<String, Object> notOurs() {
    Map<String, Object> p = new HashMap<>(originals());
    p.keySet().removeAll(ours);
    p.put(BOOTSTRAP_SERVERS_CONFIG, String.join(",", bootstrapServers()));
    return p;
  }

  /**
   * A consumer config: byte-array deserializers and manual commits (every consumer of ours
   * decodes Avro itself and commits what it has processed, so neither is configurable),
   * {@code auto.offset.reset=earliest} unless set.
   *
   * @param groupId the consumer group, or null for an assign-only consumer
   * @param clientId the client id unless {@code client.id} is set (names the consumer in metrics,
   *     broker logs and quotas)
   */
  public Map<String, Object> consumerConfigs(String groupId, String clientId) {
    Map<String, Object> c = clientConfigs(ConsumerConfig.configNames(), CONSUMER_PREFIX);
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    if (groupId == null) {
      c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    } else {
      c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    }
    return c;
  }

  /** A producer config with byte-array serializers. */
  public Map<String, Object> producerConfigs() {
    Map<String, Object> p = clientConfigs(ProducerConfig.configNames(), PRODUCER_PREFIX);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return p;
  }

  /** An admin client config (topic creation). */
  public Map<String, Object> adminConfigs() {
    return clientConfigs(AdminClientConfig.configNames(), ADMIN_PREFIX);
  }

  /** As {@code StreamsConfig}: custom properties, then the client's own, then its prefixed ones. */
  private Map<String, Object> clientConfigs(Set<String> clientNames, String prefix) {
    Map<String, Object> c = new HashMap<>();
    for (Map.Entry<String, Object> e : originals().entrySet()) {
      String k = e.getKey();
      boolean custom = !ConsumerConfig.configNames().contains(k) && !ProducerConfig.configNames().contains(k)
          && !AdminClientConfig.configNames().contains(k) && !k.startsWith(CONSUMER_PREFIX)
          && !k.startsWith(PRODUCER_PREFIX) && !k.startsWith(ADMIN_PREFIX);
      if (!ours.contains(k) && (custom || clientNames.contains(k))) {
        c.put(k, e.getValue());
      }
    }
    c.putAll(originalsWithPrefix(prefix));
    c.put(BOOTSTRAP_SERVERS_CONFIG, String.join(",", bootstrapServers()));
    return c;
  }

  /** How the generated docs describe the pass-through of the services that are plain clients. */
  protected static final String CLIENT_PASS_THROUGH = "Every other property passes through to the Kafka clients"
      + " (`consumer.`, `producer.`, `admin.` prefixes target one).";

  /**
   * The settings reference of {@code definition} as Markdown, one table per group: the checked-in
   * docs/{command}-config.md and {@code ctr {command} --print-config-docs}.
   */
  protected static String toMarkdown(ConfigDef definition, String command, Class<?> type, String passThrough) {
    StringBuilder sb = new StringBuilder("# ctr ").append(command).append(" configuration\n\nGenerated from `")
        .append(type.getSimpleName()).append("` (`ctr ").append(command)
        .append(" --print-config-docs`); do not edit by hand.\n").append(passThrough).append('\n');
    for (String group : definition.groups()) {
      sb.append("\n## ").append(group).append("\n\n");
      sb.append("| name | type | default | valid values | importance | description |\n");
      sb.append("|---|---|---|---|---|---|\n");
      for (ConfigDef.ConfigKey k : definition.configKeys().values()) {
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

  private static String escape(String s) {
    return s.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
  }

  /**
   * Builds a service's {@link ConfigDef}: {@code bootstrap.servers} first, then the keys in
   * groups, in order (the docs follow it).
   */
  protected static final class Definitions {
    private final ConfigDef def = new ConfigDef();
    private String group = "Service";
    private int order;

    /** Starts with {@code bootstrap.servers} in the "Service" group. */
    public Definitions() {
      define(BOOTSTRAP_SERVERS_CONFIG, Type.LIST, "localhost:9092", new HostPortList(), Importance.HIGH,
          "Kafka bootstrap servers, host:port[,host:port...].");
    }

    /** The keys defined next belong to {@code name}. */
    public Definitions group(String name) {
      this.group = name;
      this.order = 0;
      return this;
    }

    /** Adds a key to the current group. */
    public Definitions define(String name, Type type, Object defaultValue, ConfigDef.Validator validator,
        Importance importance, String doc) {
      def.define(name, type, defaultValue, validator, importance, doc, group, ++order, ConfigDef.Width.NONE, name);
      return this;
    }

    /** Adds a non-empty name without control characters (topics, models, ids). */
    public Definitions name(String name, String defaultValue, Importance importance, String doc) {
      return define(name, Type.STRING, defaultValue, new ConfigDef.NonEmptyStringWithoutControlChars(), importance, doc);
    }

    /** Adds {@code metrics.enabled} and {@code metrics.port} (with this service's default port). */
    public Definitions metrics(int defaultPort, String endpoint) {
      define(METRICS_ENABLED_CONFIG, Type.BOOLEAN, true, null, Importance.MEDIUM, "Serve the HTTP endpoint (" + endpoint + ").");
      return define(METRICS_PORT_CONFIG, Type.INT, defaultPort, Range.between(-1, 65535), Importance.MEDIUM,
          "Port of the HTTP endpoint (" + endpoint + "); 0 picks a free port, -1 turns it off (as metrics.enabled=false).");
    }

    /** The definition. */
    public ConfigDef build() {
      return def;
    }
  }

  /** A comma-separated list of integers, each at least {@code min}; {@code what} names one entry. */
  public static ConfigDef.Validator intList(String what, int min) {
    return new ConfigDef.Validator() {
      @Override
      public void ensureValid(String name, Object value) {
        for (Object o : (List<?>) value) {
          String s = String.valueOf(o).trim();
          if (s.isEmpty()) {
            continue;
          }
          int v;
          try {
            v = Integer.parseInt(s);
          } catch (NumberFormatException e) {
            throw new ConfigException(name, value, what + " '" + s + "' is not an integer");
          }
          if (v < min) {
            throw new ConfigException(name, value, what + "s must be >= " + min + ", found " + v);
          }
        }
      }

      @Override
      public String toString() {
        return "comma-separated integers >= " + min;
      }
    };
  }

  /** Parses a list validated by {@link #intList}. */
  protected int[] getIntList(String key) {
    return getList(key).stream().filter(s -> !s.isBlank()).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
  }

  /** Validates a non-empty list of host:port entries. */
  private static final class HostPortList implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      List<?> list = (List<?>) value;
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
}
