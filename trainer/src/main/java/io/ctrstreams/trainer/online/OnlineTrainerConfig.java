package io.ctrstreams.trainer.online;

import io.ctrstreams.serving.ServiceProperties;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * Configuration of the continuous trainer, Kafka {@link ConfigDef} style. Properties that are not
 * ours pass through to the Kafka clients ({@link #clientProperties()}).
 */
public final class OnlineTrainerConfig extends AbstractConfig {
  /** Kafka bootstrap servers. */
  public static final String BOOTSTRAP_SERVERS_CONFIG = CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG;
  /** Doc of {@link #BOOTSTRAP_SERVERS_CONFIG}. */
  public static final String BOOTSTRAP_SERVERS_DOC = "Kafka bootstrap servers, host:port[,host:port...].";
  /** Consumer group of the labeled source. */
  public static final String GROUP_ID_CONFIG = "group.id";
  /** Doc of {@link #GROUP_ID_CONFIG}. */
  public static final String GROUP_ID_DOC = "Consumer group id of the labeled-topic source (offsets committed at each snapshot).";
  /** Snapshot topic. */
  public static final String MODEL_UPDATES_TOPIC_CONFIG = "topic.model.updates";
  /** Doc of {@link #MODEL_UPDATES_TOPIC_CONFIG}. */
  public static final String MODEL_UPDATES_TOPIC_DOC = "Topic the full-precision snapshots are published to (chunk + manifest transport).";
  /** Labeled topic. */
  public static final String LABELED_TOPIC_CONFIG = "topic.labeled";
  /** Doc of {@link #LABELED_TOPIC_CONFIG}. */
  public static final String LABELED_TOPIC_DOC = "Labeled examples topic (source=labeled).";
  /** Source. */
  public static final String SOURCE_CONFIG = "source";
  /** Doc of {@link #SOURCE_CONFIG}. */
  public static final String SOURCE_DOC =
      "labeled: train on the labeled topic; synthetic: train on the synthetic stream (same seed as the demo traffic, disjoint rows).";
  /** Synthetic seed. */
  public static final String SYNTHETIC_SEED_CONFIG = "synthetic.seed";
  /** Doc of {@link #SYNTHETIC_SEED_CONFIG}. */
  public static final String SYNTHETIC_SEED_DOC = "Seed of the synthetic stream (source=synthetic).";
  /** Throttle. */
  public static final String MAX_EXAMPLES_PER_SECOND_CONFIG = "max.examples.per.second";
  /** Doc of {@link #MAX_EXAMPLES_PER_SECOND_CONFIG}. */
  public static final String MAX_EXAMPLES_PER_SECOND_DOC = "Cap on training throughput (source=synthetic), leaving CPU to the other services; 0 = none.";
  /** Model name. */
  public static final String MODEL_NAME_CONFIG = "model.name";
  /** Doc of {@link #MODEL_NAME_CONFIG}. */
  public static final String MODEL_NAME_DOC = "Name of the published full model (the recompressor's full.model.name).";
  /** Architecture. */
  public static final String ARCHITECTURE_CONFIG = "model.architecture";
  /** Doc of {@link #ARCHITECTURE_CONFIG}. */
  public static final String ARCHITECTURE_DOC = "Architecture of the trained model: dnn, deepfm or dcnv2.";
  /** Embedding dim. */
  public static final String EMBEDDING_DIM_CONFIG = "model.embedding.dim";
  /** Doc of {@link #EMBEDDING_DIM_CONFIG}. */
  public static final String EMBEDDING_DIM_DOC = "Embedding dimension of every field.";
  /** Hash buckets. */
  public static final String HASH_BUCKETS_CONFIG = "model.hash.buckets";
  /** Doc of {@link #HASH_BUCKETS_CONFIG}. */
  public static final String HASH_BUCKETS_DOC =
      "Hashed rows per categorical field (online training has no vocabulary pass); numeric fields get log buckets.";
  /** MLP. */
  public static final String MLP_CONFIG = "model.mlp";
  /** Doc of {@link #MLP_CONFIG}. */
  public static final String MLP_DOC = "Hidden layer sizes, comma separated.";
  /** Batch size. */
  public static final String BATCH_SIZE_CONFIG = "batch.size";
  /** Doc of {@link #BATCH_SIZE_CONFIG}. */
  public static final String BATCH_SIZE_DOC = "Mini-batch size of each optimisation step.";
  /** Snapshot interval. */
  public static final String SNAPSHOT_INTERVAL_MS_CONFIG = "snapshot.interval.ms";
  /** Doc of {@link #SNAPSHOT_INTERVAL_MS_CONFIG}. */
  public static final String SNAPSHOT_INTERVAL_MS_DOC = "Publish a snapshot this often (wall clock); 0 = only by example count.";
  /** Snapshot examples. */
  public static final String SNAPSHOT_EXAMPLES_CONFIG = "snapshot.examples";
  /** Doc of {@link #SNAPSHOT_EXAMPLES_CONFIG}. */
  public static final String SNAPSHOT_EXAMPLES_DOC = "Publish a snapshot after this many examples since the last one; 0 = only by time.";
  /** Minimum examples before the first snapshot. */
  public static final String MIN_EXAMPLES_CONFIG = "snapshot.min.examples";
  /** Doc of {@link #MIN_EXAMPLES_CONFIG}. */
  public static final String MIN_EXAMPLES_DOC = "Examples trained before the first snapshot may be published (no half-initialised models).";
  /** Seed. */
  public static final String SEED_CONFIG = "seed";
  /** Doc of {@link #SEED_CONFIG}. */
  public static final String SEED_DOC = "Seed of weight initialisation and shuffling.";
  /** Metrics port. */
  public static final String METRICS_PORT_CONFIG = "metrics.port";
  /** Doc of {@link #METRICS_PORT_CONFIG}. */
  public static final String METRICS_PORT_DOC = "Port of the /metrics endpoint of ctr trainer; 0 = a free port, -1 = off.";

  private static final ConfigDef DEF = definition();

  private static ConfigDef definition() {
    ConfigDef d = new ConfigDef();
    d.define(BOOTSTRAP_SERVERS_CONFIG, Type.LIST, "localhost:9092", Importance.HIGH, BOOTSTRAP_SERVERS_DOC);
    d.define(GROUP_ID_CONFIG, Type.STRING, "ctr-trainer", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.MEDIUM, GROUP_ID_DOC);
    d.define(MODEL_UPDATES_TOPIC_CONFIG, Type.STRING, "model-updates", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH, MODEL_UPDATES_TOPIC_DOC);
    d.define(LABELED_TOPIC_CONFIG, Type.STRING, "labeled", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH, LABELED_TOPIC_DOC);
    d.define(SOURCE_CONFIG, Type.STRING, "labeled", ValidString.in("labeled", "synthetic"), Importance.HIGH, SOURCE_DOC);
    d.define(SYNTHETIC_SEED_CONFIG, Type.LONG, 42L, Importance.LOW, SYNTHETIC_SEED_DOC);
    d.define(MAX_EXAMPLES_PER_SECOND_CONFIG, Type.DOUBLE, 0.0, Range.between(0.0, 1e9), Importance.LOW, MAX_EXAMPLES_PER_SECOND_DOC);
    d.define(MODEL_NAME_CONFIG, Type.STRING, "ctr-full", new ConfigDef.NonEmptyStringWithoutControlChars(), Importance.HIGH, MODEL_NAME_DOC);
    d.define(ARCHITECTURE_CONFIG, Type.STRING, "dnn", ValidString.in("dnn", "deepfm", "dcnv2"), Importance.MEDIUM, ARCHITECTURE_DOC);
    d.define(EMBEDDING_DIM_CONFIG, Type.INT, 8, Range.between(1, 1024), Importance.MEDIUM, EMBEDDING_DIM_DOC);
    d.define(HASH_BUCKETS_CONFIG, Type.INT, 2_000, Range.between(1, 100_000_000), Importance.MEDIUM, HASH_BUCKETS_DOC);
    d.define(MLP_CONFIG, Type.LIST, "128,64", Importance.MEDIUM, MLP_DOC);
    d.define(BATCH_SIZE_CONFIG, Type.INT, 256, Range.between(1, 1_000_000), Importance.MEDIUM, BATCH_SIZE_DOC);
    d.define(SNAPSHOT_INTERVAL_MS_CONFIG, Type.LONG, 20_000L, Range.between(0L, 7L * 24 * 3600 * 1000), Importance.HIGH, SNAPSHOT_INTERVAL_MS_DOC);
    d.define(SNAPSHOT_EXAMPLES_CONFIG, Type.LONG, 0L, Range.between(0L, Long.MAX_VALUE), Importance.MEDIUM, SNAPSHOT_EXAMPLES_DOC);
    d.define(MIN_EXAMPLES_CONFIG, Type.LONG, 1_000L, Range.between(0L, Long.MAX_VALUE), Importance.LOW, MIN_EXAMPLES_DOC);
    d.define(SEED_CONFIG, Type.LONG, 7L, Importance.LOW, SEED_DOC);
    d.define(METRICS_PORT_CONFIG, Type.INT, 9402, Range.between(-1, 65535), Importance.MEDIUM, METRICS_PORT_DOC);
    return d;
  }

  /** Parses and cross-checks {@code props}; unknown keys are kept for the Kafka clients. */
  public OnlineTrainerConfig(Map<?, ?> props) {
    super(DEF, props, false);
    if (snapshotIntervalMs() == 0 && snapshotExamples() == 0) {
      throw new ConfigException(SNAPSHOT_INTERVAL_MS_CONFIG, 0,
          "and " + SNAPSHOT_EXAMPLES_CONFIG + " are both 0: no snapshot would ever be published");
    }
    if (getList(BOOTSTRAP_SERVERS_CONFIG).isEmpty()) {
      throw new ConfigException(BOOTSTRAP_SERVERS_CONFIG, "", "at least one host:port is required");
    }
    for (String s : getList(MLP_CONFIG)) {
      int v;
      try {
        v = Integer.parseInt(s.trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(MLP_CONFIG, getList(MLP_CONFIG), "layer size '" + s + "' is not an integer");
      }
      if (v < 1) {
        throw new ConfigException(MLP_CONFIG, getList(MLP_CONFIG), "layer sizes must be >= 1, found " + v);
      }
    }
  }

  /** Loads a {@code .properties} file (may be null), then applies {@code overrides}. */
  public static OnlineTrainerConfig load(Path file, Map<String, String> overrides) throws IOException {
    return new OnlineTrainerConfig(ServiceProperties.load(file, overrides));
  }

  /** The definitions (for docs and tooling). */
  public static ConfigDef configDef() {
    return new ConfigDef(DEF);
  }

  /** Client properties: everything not ours, plus the bootstrap servers. */
  public Map<String, Object> clientProperties() {
    return ServiceProperties.passThrough(originals(), DEF.names(), getList(BOOTSTRAP_SERVERS_CONFIG));
  }

  /** Consumer group of the labeled source. */
  public String groupId() {
    return getString(GROUP_ID_CONFIG);
  }

  /** Snapshot topic. */
  public String modelUpdatesTopic() {
    return getString(MODEL_UPDATES_TOPIC_CONFIG);
  }

  /** Labeled topic. */
  public String labeledTopic() {
    return getString(LABELED_TOPIC_CONFIG);
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

  /** Published model name. */
  public String modelName() {
    return getString(MODEL_NAME_CONFIG);
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
    return getList(MLP_CONFIG).stream().mapToInt(s -> Integer.parseInt(s.trim())).toArray();
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

  /** Metrics port, -1 = off. */
  public int metricsPort() {
    return getInt(METRICS_PORT_CONFIG);
  }
}
