package io.ctrstreams.serving;

import io.ctrstreams.CtrException;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.model.format.ModelFile;
import io.ctrstreams.model.format.ReadOptions;
import io.ctrstreams.schemas.ModelChunk;
import io.ctrstreams.schemas.ModelManifest;
import io.ctrstreams.schemas.ModelPin;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Publishes .ctrm model files to the compacted models topic in chunks (see {@link ModelKeys}).
 *
 * <p>{@link #publish} writes the chunks, the per-version manifest, flushes, then the latest
 * manifest {@code <model>/manifest} last, and flushes again; every record of one model goes to
 * the same partition (murmur2 of the model name, like the default partitioner) so consumers see
 * the chunks before their manifest. It then tombstones every version except the new one, the
 * previous one, the pinned one and the newest one of every other {@link InputSchema} on the
 * topic, so a fresh replay of the compacted topic stays small and a scorer that expects an older
 * schema still finds a model it can serve. <b>Pin only a version that is still retained</b> (the
 * newest or the one before, or one already pinned): older versions' chunks are gone; {@link #pin}
 * checks this.
 *
 * <p><b>Schema changes.</b> Each manifest records its model's {@link InputSchema} (metadata
 * {@link InputSchema#METADATA_KEY}). A version whose schema differs from the newest published
 * one's, or whose bytes are not a readable .ctrm model, is refused unless published with {@code
 * force}: scorers reject a model whose inputs differ from the ones they expect, so a schema
 * change is a deployment (new scorers configured for it), not a refresh.
 *
 * <p>The producer is idempotent with {@code acks=all}. To learn which versions the topic holds,
 * publish and pin read the model's partition with a consumer (assigned, no group; kept until
 * close): from the beginning the first time, then on from where the last read ended, keeping
 * the live keys in memory (not the chunk bytes).
 *
 * <p>Not thread-safe; one publisher per process (the recompressor, {@code ctr publish}).
 */
public final class ModelPublisher implements AutoCloseable {

  /** Chunk size: below the 1 MiB record limits of broker, producer and consumer defaults. */
  public static final int CHUNK_BYTES = 900 * 1024;

  /**
   * {@code max.partition.fetch.bytes} for consumers of the models topic (the topology's global
   * consumer, followers, this publisher's scan): one chunk fits, and a fetch response (received
   * into one heap array; the broker may cut a trailing batch, so the default of 1 MiB fills it to
   * the limit) stays below 1 MiB, i.e. below half a 2 MiB G1 region, which would make every
   * response a humongous object and start a concurrent GC cycle per model swap.
   */
  public static final int FETCH_BYTES = 960 * 1024;

  private static final Duration SCAN_TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, Object> clientConfig;
  private final String topic;
  private final int chunkBytes;
  private final KafkaProducer<byte[], byte[]> producer;
  private volatile ServingException failure;
  private KafkaConsumer<byte[], byte[]> scanConsumer;
  private final Map<Integer, PartitionView> views = new HashMap<>();

  /**
   * A publisher with its own idempotent producer.
   *
   * @param clientConfig common client settings, at least {@code bootstrap.servers}
   * @param topic the compacted models topic
   */
  public ModelPublisher(Map<String, Object> clientConfig, String topic) {
    this(clientConfig, topic, CHUNK_BYTES);
  }

  /** As {@link #ModelPublisher(Map, String)} with a chunk size in [1, 900 KiB] (tests). */
  public ModelPublisher(Map<String, Object> clientConfig, String topic, int chunkBytes) {
    if (chunkBytes < 1 || chunkBytes > CHUNK_BYTES) {
      throw new IllegalArgumentException(
          "chunk size must be in [1, " + CHUNK_BYTES + "], found " + chunkBytes);
    }
    this.clientConfig = Map.copyOf(clientConfig);
    this.topic = Objects.requireNonNull(topic, "topic");
    this.chunkBytes = chunkBytes;
    Map<String, Object> p = new HashMap<>(clientConfig);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "ctr-model-publisher");
    this.producer = new KafkaProducer<>(p);
  }

  /**
   * What {@link #publish} wrote.
   *
   * @param model model name
   * @param version published version
   * @param chunkCount number of chunks written
   * @param totalBytes length of the .ctrm bytes
   * @param sha256 hex SHA-256 of the .ctrm bytes
   * @param retiredVersions versions whose records were tombstoned
   * @param manifestTimestampMs the timestamp of the {@code <model>/manifest} record (its
   *     CreateTime, set when it was sent): when the version became complete on the topic
   */
  public record PublishResult(
      String model, long version, int chunkCount, long totalBytes, String sha256,
      List<Long> retiredVersions, long manifestTimestampMs) {}

  /**
   * What the topic holds for one model.
   *
   * @param publishedVersions versions with a live per-version manifest, ascending
   * @param versionsWithRecords versions with any live chunk or manifest record, ascending
   * @param pinnedVersion the pinned version, or -1
   * @param inputSchemas the input schema each published version's manifest records (versions
   *     published without one, or with a corrupt one, are absent)
   * @param manifests the per-version manifest of each published version that decodes
   */
  public record TopicState(
      List<Long> publishedVersions, List<Long> versionsWithRecords, long pinnedVersion,
      Map<Long, InputSchema> inputSchemas, Map<Long, ModelManifest> manifests) {
    /** Copies the lists and the maps. */
    public TopicState {
      publishedVersions = List.copyOf(publishedVersions);
      versionsWithRecords = List.copyOf(versionsWithRecords);
      inputSchemas = Map.copyOf(inputSchemas);
      manifests = Map.copyOf(manifests);
    }

    /** Newest published version, or -1. */
    public long newestVersion() {
      return publishedVersions.isEmpty() ? -1 : publishedVersions.get(publishedVersions.size() - 1);
    }
  }

  /**
   * Publishes {@code ctrmBytes} as {@code version} of {@code modelName}.
   *
   * @throws ServingException when the version is not newer than the published one, the bytes are
   *     not a readable model, its input schema differs from the newest published version's, or
   *     Kafka fails
   */
  public PublishResult publish(
      String modelName, long version, byte[] ctrmBytes, Map<String, String> metadata) {
    return publish(modelName, version, ctrmBytes, metadata, false);
  }

  /**
   * As {@link #publish(String, long, byte[], Map)}; with {@code force}, also a schema change or
   * bytes that are not a readable model (tests of the scorers' rejections).
   */
  public PublishResult publish(
      String modelName, long version, byte[] ctrmBytes, Map<String, String> metadata, boolean force) {
    return publish(modelName, version, List.of(Objects.requireNonNull(ctrmBytes, "ctrmBytes")), metadata, force);
  }

  /**
   * Publishes the .ctrm file held in {@code parts} (in order, e.g. the chunks of a version
   * assembled from another topic) as {@code version} of {@code modelName}, without joining them
   * into one array. The bytes go out as they are: name, version and {@code metadata} are the
   * manifest's, whatever the file itself says. Parts larger than the chunk size are split.
   *
   * @throws ServingException as {@link #publish(String, long, byte[], Map)}
   */
  public PublishResult publish(
      String modelName, long version, List<byte[]> parts, Map<String, String> metadata) {
    return publish(modelName, version, parts, metadata, false);
  }

  /** As {@link #publish(String, long, List, Map)}; {@code force} as in {@link #publish(String, long, byte[], Map, boolean)}. */
  public PublishResult publish(
      String modelName, long version, List<byte[]> parts, Map<String, String> metadata, boolean force) {
    ModelKeys.checkModelName(modelName);
    ModelKeys.checkVersion(version);
    long totalBytes = AssemblyResult.Assembled.lengthOf(parts);
    if (totalBytes == 0) {
      throw new IllegalArgumentException("model " + modelName + " v" + version + " has no bytes");
    }
    int partition = partitionFor(modelName);
    Scan before = scan(modelName, partition);
    long live = before.state.newestVersion();
    if (version <= live) {
      throw new ServingException(
          "version " + version + " of model " + modelName + " is not newer than the published version "
              + live);
    }
    InputSchema schema = schemaOf(modelName, version, parts, force);
    InputSchema liveSchema = before.state.inputSchemas().get(live);
    if (!force && schema != null && liveSchema != null) {
      Optional<String> why = liveSchema.difference(schema);
      if (why.isPresent()) {
        throw new ServingException("model " + modelName + " v" + version + " changes the input schema of the"
            + " published v" + live + " (" + why.get() + "): scorers would reject it; publish with force"
            + " (ctr publish --force) to change the schema, with scorers configured for it");
      }
    }
    Map<String, String> meta = new HashMap<>(metadata);
    meta.remove(InputSchema.METADATA_KEY);
    if (schema != null) {
      meta.put(InputSchema.METADATA_KEY, schema.toJson());
    }
    int count = 0;
    for (byte[] part : parts) {
      count += (part.length + chunkBytes - 1) / chunkBytes;
    }
    String sha = ModelRecords.sha256Hex(parts);
    int index = 0;
    for (byte[] part : parts) {
      for (int from = 0; from < part.length; from += chunkBytes) {
        int len = Math.min(chunkBytes, part.length - from);
        ModelChunk chunk = ModelChunk.newBuilder()
            .setModel(modelName).setVersion(version).setIndex(index).setChunkCount(count)
            .setData(ByteBuffer.wrap(part, from, len).slice())
            .build();
        send(partition, ModelKeys.chunk(modelName, version, index++), ModelRecords.encode(chunk));
      }
    }
    ModelManifest manifest = ModelManifest.newBuilder()
        .setModel(modelName).setVersion(version).setChunkCount(count)
        .setTotalBytes(totalBytes).setSha256(sha)
        .setCreatedAtEpochMs(System.currentTimeMillis())
        .setMetadata(meta)
        .build();
    byte[] manifestBytes = ModelRecords.encode(manifest);
    send(partition, ModelKeys.versionManifest(modelName, version), manifestBytes);
    flush();
    // The latest manifest goes last, after every chunk is acknowledged.
    long manifestTimestampMs = System.currentTimeMillis();
    send(partition, ModelKeys.latestManifest(modelName), manifestBytes, manifestTimestampMs);
    flush();

    TreeSet<Long> keep = new TreeSet<>();
    keep.add(version);
    before.state.publishedVersions().stream().filter(v -> v < version).reduce((a, b) -> b)
        .ifPresent(keep::add);
    if (before.state.pinnedVersion() >= 0) {
      keep.add(before.state.pinnedVersion());
    }
    // the newest version of every other schema: what a scorer expecting that schema serves
    Map<InputSchema, Long> newestBySchema = new HashMap<>();
    before.state.inputSchemas().forEach((v, s) -> newestBySchema.merge(s, v, Math::max));
    newestBySchema.forEach((s, v) -> {
      if (!s.equals(schema)) {
        keep.add(v);
      }
    });
    List<Long> retired = new ArrayList<>();
    for (Map.Entry<Long, List<String>> e : before.liveKeysByVersion.entrySet()) {
      if (!keep.contains(e.getKey())) {
        retired.add(e.getKey());
        for (String key : e.getValue()) {
          send(partition, key, null);
        }
      }
    }
    flush();
    return new PublishResult(modelName, version, count, totalBytes, sha, List.copyOf(retired),
        manifestTimestampMs);
  }

  /**
   * Pins {@code version} of {@code modelName}: registries serve it until {@link #unpin}.
   *
   * @throws ServingException when the topic no longer holds that version
   */
  public void pin(String modelName, long version) {
    ModelKeys.checkModelName(modelName);
    ModelKeys.checkVersion(version);
    int partition = partitionFor(modelName);
    TopicState state = scan(modelName, partition).state;
    if (!state.publishedVersions().contains(version)) {
      throw new ServingException(
          "cannot pin model " + modelName + " to version " + version
              + ": the topic retains only versions " + state.publishedVersions());
    }
    ModelPin pin = ModelPin.newBuilder().setModel(modelName).setVersion(version)
        .setPinnedAtEpochMs(System.currentTimeMillis()).build();
    send(partition, ModelKeys.pin(modelName), ModelRecords.encode(pin));
    flush();
  }

  /** Removes the pin of {@code modelName} (a tombstone): registries serve the newest version. */
  public void unpin(String modelName) {
    ModelKeys.checkModelName(modelName);
    send(partitionFor(modelName), ModelKeys.pin(modelName), null);
    flush();
  }

  /** Reads what the topic currently holds for {@code modelName}. */
  public TopicState topicState(String modelName) {
    ModelKeys.checkModelName(modelName);
    return scan(modelName, partitionFor(modelName)).state;
  }

  @Override
  public void close() {
    try {
      producer.close(Duration.ofSeconds(30));
    } finally {
      if (scanConsumer != null) {
        scanConsumer.close();
      }
    }
  }

  private void send(int partition, String key, byte[] value) {
    send(partition, key, value, null);
  }

  /** As {@link #send(int, String, byte[])} with the record's timestamp (null: the producer's clock). */
  private void send(int partition, String key, byte[] value, Long timestampMs) {
    try {
      // Asynchronous; the idempotent producer keeps the order within the partition and the
      // first failure is reported by the next flush().
      producer.send(
          new ProducerRecord<>(topic, partition, timestampMs, key.getBytes(StandardCharsets.UTF_8), value),
          (md, e) -> {
            if (e != null && failure == null) {
              failure = new ServingException(
                  "sending " + key + " to topic " + topic + " failed: " + e.getMessage(), e);
            }
          });
    } catch (RuntimeException e) {
      throw new ServingException(
          "cannot send " + key + " to topic " + topic + ": " + e.getMessage(), e);
    }
  }

  private void flush() {
    producer.flush();
    ServingException f = failure;
    if (f != null) {
      failure = null;
      throw f;
    }
  }

  /**
   * The input schema of the model in {@code parts}, read and verified in full; null when forced
   * and the bytes are not a readable model.
   */
  private static InputSchema schemaOf(String modelName, long version, List<byte[]> parts, boolean force) {
    try {
      ByteBuffer bytes;
      if (parts.size() == 1) {
        bytes = ByteBuffer.wrap(parts.get(0));
      } else {
        bytes = ByteBuffer.allocate(Math.toIntExact(AssemblyResult.Assembled.lengthOf(parts)));
        parts.forEach(bytes::put);
        bytes.flip();
      }
      ModelFile file = CtrmFormat.read(bytes, ReadOptions.defaults());
      return InputSchema.of(ModelSpec.fromJson(file.specJson()));
    } catch (CtrException | ArithmeticException | IllegalArgumentException e) {
      if (force) {
        return null;
      }
      throw new ServingException("model " + modelName + " v" + version + " is not a readable .ctrm model ("
          + e.getMessage() + "); publish with force to write it anyway", e);
    }
  }

  private int partitionFor(String model) {
    List<PartitionInfo> partitions = producer.partitionsFor(topic);
    if (partitions == null || partitions.isEmpty()) {
      throw new ServingException("topic " + topic + " has no partitions (does it exist?)");
    }
    byte[] k = model.getBytes(StandardCharsets.UTF_8);
    return Utils.toPositive(Utils.murmur2(k)) % partitions.size();
  }

  private static boolean isChunk(String key) {
    try {
      return ModelKeys.parse(key).kind() == ModelKeys.Kind.CHUNK;
    } catch (ServingException e) {
      return false;
    }
  }

  private record Scan(TopicState state, TreeMap<Long, List<String>> liveKeysByVersion) {}

  /** The scan consumer, created on first use and kept (no group: assign + seek only). */
  private KafkaConsumer<byte[], byte[]> scanConsumer() {
    if (scanConsumer == null) {
      scanConsumer = new KafkaConsumer<>(ModelTopicFollower.consumerConfig(clientConfig, "ctr-model-publisher-scan"));
    }
    return scanConsumer;
  }

  /**
   * What this publisher has read of one partition: every live key (chunk values replaced by an
   * empty marker; manifests and pins, which are small, kept) up to {@link #position}. Each scan
   * reads on from there, so a publish reads back the records written since the last one, not
   * every chunk the partition still holds (compaction only cleans rolled segments, so until then
   * the log keeps the chunks of every version ever published: re-reading them all made each
   * publish slower than the one before).
   */
  private static final class PartitionView {
    final Map<String, byte[]> live = new HashMap<>();
    long position;

    void reset(long start) {
      live.clear();
      position = start;
    }
  }

  private static final byte[] CHUNK_MARKER = new byte[0];

  private Scan scan(String model, int partition) {
    TopicPartition tp = new TopicPartition(topic, partition);
    PartitionView view = views.computeIfAbsent(partition, p -> new PartitionView());
    try {
      KafkaConsumer<byte[], byte[]> consumer = scanConsumer();
      consumer.assign(List.of(tp));
      long start = consumer.beginningOffsets(List.of(tp), SCAN_TIMEOUT).get(tp);
      long end = consumer.endOffsets(List.of(tp), SCAN_TIMEOUT).get(tp);
      if (view.position < start || view.position > end) {
        view.reset(start); // records this view never read were deleted, or the topic was recreated
      }
      consumer.seek(tp, view.position);
      long deadline = System.nanoTime() + SCAN_TIMEOUT.toNanos();
      while (consumer.position(tp, SCAN_TIMEOUT) < end) {
        if (System.nanoTime() > deadline) {
          throw new ServingException("reading " + tp + " up to offset " + end + " timed out");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (r.key() == null) {
            continue;
          }
          String key = new String(r.key(), StandardCharsets.UTF_8);
          if (r.value() == null) {
            view.live.remove(key);
          } else {
            view.live.put(key, isChunk(key) ? CHUNK_MARKER : r.value());
          }
        }
      }
      view.position = consumer.position(tp, SCAN_TIMEOUT);
    } catch (org.apache.kafka.common.KafkaException e) {
      view.reset(0); // read again from the start next time
      throw new ServingException("cannot read " + tp + ": " + e.getMessage(), e);
    }
    String prefix = model + "/";
    Map<String, byte[]> latest = new HashMap<>();
    for (Map.Entry<String, byte[]> e : view.live.entrySet()) {
      if (e.getKey().startsWith(prefix)) {
        latest.put(e.getKey(), e.getValue());
      }
    }
    TreeMap<Long, List<String>> byVersion = new TreeMap<>();
    TreeSet<Long> published = new TreeSet<>();
    Map<Long, InputSchema> schemas = new HashMap<>();
    Map<Long, ModelManifest> manifests = new HashMap<>();
    long pinned = -1;
    for (Map.Entry<String, byte[]> e : latest.entrySet()) {
      if (e.getValue() == null) {
        continue;
      }
      ModelKeys.Parsed k;
      try {
        k = ModelKeys.parse(e.getKey());
      } catch (ServingException ex) {
        continue; // not ours to clean up
      }
      if (k.kind() == ModelKeys.Kind.PIN) {
        try {
          pinned = ModelRecords.decodePin(e.getValue()).getVersion();
        } catch (Exception ex) {
          pinned = -1;
        }
      } else if (k.version() >= 0) {
        byVersion.computeIfAbsent(k.version(), v -> new ArrayList<>()).add(e.getKey());
        if (k.kind() == ModelKeys.Kind.MANIFEST) {
          long v = k.version();
          published.add(v);
          try {
            ModelManifest m = ModelRecords.decodeManifest(e.getValue());
            manifests.put(v, m);
            InputSchema.parse(m.getMetadata().get(InputSchema.METADATA_KEY)).ifPresent(s -> schemas.put(v, s));
          } catch (IOException | RuntimeException ex) {
            // a manifest this publisher cannot read records no schema
          }
        }
      }
    }
    TopicState state = new TopicState(
        List.copyOf(published), List.copyOf(byVersion.keySet()), pinned, schemas, manifests);
    return new Scan(state, byVersion);
  }

}
