package io.ctrstreams.serving;

import static io.ctrstreams.broker.testing.BrokerTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.broker.testing.TestConditions;
import io.ctrstreams.serving.TopicRecords.Rec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Tag("integration")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ModelPublisherIT {

  private static EmbeddedKafkaBroker broker;

  @BeforeAll
  static void startBroker() {
    broker = BrokerTestSupport.startBroker();
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  private static Admin admin() {
    return Admin.create(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
  }

  static String newTopic(int partitions) throws Exception {
    String topic = uniqueName("models");
    try (Admin admin = admin()) {
      KafkaTopics.ensure(admin, List.of(KafkaTopics.compacted(topic, partitions)));
    }
    return topic;
  }

  static ModelPublisher publisher(String topic) {
    return new ModelPublisher(
        Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), topic);
  }

  /** The timestamp of the last record with {@code key}, or -1. */
  static long timestampOf(String topic, String key) throws InterruptedException {
    long[] ts = {-1};
    forEachRecord(topic, r -> {
      if (key.equals(new String(r.key(), StandardCharsets.UTF_8))) {
        ts[0] = r.timestamp();
      }
    });
    return ts[0];
  }

  /** Every record of the topic in offset order (per partition). */
  static List<Rec> readAll(String topic) throws InterruptedException {
    List<Rec> out = new ArrayList<>();
    forEachRecord(topic, r -> out.add(new Rec(new String(r.key(), StandardCharsets.UTF_8), r.value())));
    return out;
  }

  private static void forEachRecord(String topic, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> action)
      throws InterruptedException {
    BrokerTestSupport.readAll(broker.bootstrapServers(), topic, "read_uncommitted").forEach(action);
  }

  @Test
  void shouldRoundTripAFiveMebibyteModelInSeveralChunks() throws Exception {
    String topic = newTopic(1);
    byte[] bytes = TopicRecords.randomBytes(42, 5 << 20);
    ModelPublisher.PublishResult res;
    long t0;
    long t1;
    try (ModelPublisher p = publisher(topic)) {
      t0 = System.nanoTime();
      res = p.publish("big", 1, bytes, Map.of("compressed-from", "full-v0"), true);
      t1 = System.nanoTime();
    }
    assertThat(res.chunkCount()).isEqualTo(6);
    assertThat(res.sha256()).isEqualTo(ModelRecords.sha256Hex(bytes));
    assertThat(timestampOf(topic, "big/manifest")).as("the manifest record carries the reported time")
        .isEqualTo(res.manifestTimestampMs());

    long t2 = System.nanoTime();
    List<Rec> log = readAll(topic);
    long t3 = System.nanoTime();
    System.out.printf("5 MiB model: publish %.0f ms, read back %.0f ms%n",
        (t1 - t0) / 1e6, (t3 - t2) / 1e6);
    assertThat(log).hasSize(8);
    assertThat(log.get(7).key()).isEqualTo("big/manifest");
    List<AssemblyResult> out = TopicRecords.feed(new ModelChunkAssembler(), log);
    assertThat(out).singleElement().asInstanceOf(type(AssemblyResult.Assembled.class))
        .satisfies(a -> {
          assertThat(a.bytes()).isEqualTo(bytes);
          assertThat(a.manifest().getMetadata()).containsEntry("compressed-from", "full-v0");
        });
  }

  @Test
  void shouldRepublishAnAssembledVersionFromItsChunksWithoutJoiningThem() throws Exception {
    String from = newTopic(1);
    String to = newTopic(1);
    byte[] bytes = TopicRecords.randomBytes(7, 10_000);
    try (ModelPublisher p = new ModelPublisher(
        Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), from, 4_000)) {
      p.publish("full", 3, bytes, Map.of("examples-trained", "9"), true);
    }
    AssemblyResult.Assembled full = (AssemblyResult.Assembled) TopicRecords.feed(new ModelChunkAssembler(),
        readAll(from)).get(0);
    assertThat(full.chunks()).hasSize(3);

    ModelPublisher.PublishResult res;
    try (ModelPublisher p = new ModelPublisher(
        Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), to, 3_000)) {
      res = p.publish("shadow", 3, full.chunks(), Map.of("role", "shadow"), true);
    }
    // each 4,000-byte part is split at the 3,000-byte chunk size: 3,000 + 1,000 twice, then 2,000
    assertThat(res.chunkCount()).isEqualTo(5);
    assertThat(res.totalBytes()).isEqualTo(bytes.length);
    assertThat(res.sha256()).isEqualTo(ModelRecords.sha256Hex(bytes));
    assertThat(TopicRecords.feed(new ModelChunkAssembler(), readAll(to))).singleElement()
        .asInstanceOf(type(AssemblyResult.Assembled.class))
        .satisfies(a -> {
          assertThat(a.model()).isEqualTo("shadow");
          assertThat(a.bytes()).isEqualTo(bytes);
          assertThat(a.manifest().getMetadata()).containsEntry("role", "shadow");
        });
  }

  @Test
  void shouldTombstoneVersionsOlderThanThePreviousButKeepThePinnedOne() throws Exception {
    String topic = newTopic(3);
    try (ModelPublisher p = publisher(topic)) {
      p.publish("m", 1, TopicRecords.randomBytes(1, 3000), Map.of(), true);
      p.publish("m", 2, TopicRecords.randomBytes(2, 3000), Map.of(), true);
      p.pin("m", 1);
      ModelPublisher.PublishResult r3 = p.publish("m", 3, TopicRecords.randomBytes(3, 3000), Map.of(), true);
      ModelPublisher.PublishResult r4 = p.publish("m", 4, TopicRecords.randomBytes(4, 3000), Map.of(), true);

      assertThat(r3.retiredVersions()).isEmpty();
      assertThat(r4.retiredVersions()).containsExactly(2L);
      assertThat(p.topicState("m").publishedVersions()).containsExactly(1L, 3L, 4L);
      assertThat(p.topicState("m").pinnedVersion()).isEqualTo(1);

      p.unpin("m");
      ModelPublisher.PublishResult r5 = p.publish("m", 5, TopicRecords.randomBytes(5, 3000), Map.of(), true);
      assertThat(r5.retiredVersions()).containsExactly(1L, 3L);
      assertThat(p.topicState("m").publishedVersions()).containsExactly(4L, 5L);

      assertThatThrownBy(() -> p.pin("m", 2))
          .isInstanceOf(ServingException.class)
          .hasMessage("cannot pin model m to version 2: the topic retains only versions [4, 5]");
      assertThatThrownBy(() -> p.publish("m", 5, new byte[1], Map.of()))
          .isInstanceOf(ServingException.class)
          .hasMessage("version 5 of model m is not newer than the published version 5");
    }
    List<Rec> log = readAll(topic);
    assertThat(log).anySatisfy(r -> {
      assertThat(r.key()).isEqualTo("m/2/0");
      assertThat(r.value()).isNull();
    });
    // A replay of the whole log ends with version 5 assembled and nothing buffered.
    ModelChunkAssembler a = new ModelChunkAssembler();
    List<AssemblyResult> out = TopicRecords.feed(a, log);
    assertThat(a.newestAssembled("m")).isEqualTo(5);
    assertThat(a.bufferedBytes()).isZero();
    assertThat(out).filteredOn(r -> r instanceof AssemblyResult.Rejected).isEmpty();
  }

  @Test
  void shouldRefuseASchemaChangeUnlessForcedAndKeepTheNewestVersionOfTheOldSchema() throws Exception {
    String topic = newTopic(1);
    try (ModelPublisher p = publisher(topic)) {
      p.publish("m", 1, TestModels.ctrm(1), Map.of());
      p.publish("m", 2, TestModels.ctrm(2), Map.of());
      byte[] other = TestModels.ctrm(TestModels.incompatibleSpec(), 3, 3);

      assertThatThrownBy(() -> p.publish("m", 3, other, Map.of()))
          .isInstanceOf(ServingException.class)
          .hasMessageStartingWith("model m v3 changes the input schema of the published v2 (input field 2 is ad in"
              + " the served model, creative in the new one)")
          .hasMessageContaining("--force");
      assertThat(p.topicState("m").publishedVersions()).containsExactly(1L, 2L);
      assertThatThrownBy(() -> p.publish("m", 3, new byte[] {1, 2, 3}, Map.of()))
          .isInstanceOf(ServingException.class)
          .hasMessageStartingWith("model m v3 is not a readable .ctrm model");

      ModelPublisher.PublishResult r3 = p.publish("m", 3, other, Map.of(), true);
      assertThat(r3.retiredVersions()).containsExactly(1L);
      // v4 and v5 of the new schema: v2 stays, the only model a scorer built for the old inputs can serve
      assertThat(p.publish("m", 4, TestModels.ctrm(TestModels.incompatibleSpec(), 4, 4), Map.of()).retiredVersions())
          .isEmpty();
      assertThat(p.publish("m", 5, TestModels.ctrm(TestModels.incompatibleSpec(), 5, 5), Map.of()).retiredVersions())
          .containsExactly(3L);
      ModelPublisher.TopicState state = p.topicState("m");
      assertThat(state.publishedVersions()).containsExactly(2L, 4L, 5L);
      assertThat(state.inputSchemas().get(2L)).isEqualTo(InputSchema.of(TestModels.spec(8, 6)));
      assertThat(state.inputSchemas().get(5L)).isEqualTo(InputSchema.of(TestModels.incompatibleSpec()));
    }
    // a fresh registry expecting the old inputs replays the topic and serves v2, rejecting the rest
    ModelRegistry old = new ModelRegistry("m");
    old.expect(TestModels.spec(8, 6));
    ModelChunkAssembler a = new ModelChunkAssembler();
    for (AssemblyResult r : TopicRecords.feed(a, readAll(topic))) {
      old.apply(r);
    }
    assertThat(old.current().version()).isEqualTo(2);
    assertThat(old.rejectCount(RejectReason.SPEC_INCOMPATIBLE)).isEqualTo(3); // v3, v4, v5
  }

  @Test
  void aPublisherShouldSeeWhatOthersWroteBetweenItsPublishesAndReadOnlyTheNewRecords() throws Exception {
    String topic = newTopic(1);
    try (ModelPublisher a = publisher(topic); ModelPublisher b = publisher(topic)) {
      a.publish("m", 1, TopicRecords.randomBytes(1, 5000), Map.of(), true);
      b.publish("m", 2, TopicRecords.randomBytes(2, 5000), Map.of(), true); // b's first scan: from the start
      b.pin("m", 1);
      // a read up to its own v1; it must see b's v2 and pin, or it would publish v2 again or retire v1
      assertThatThrownBy(() -> a.publish("m", 2, new byte[1], Map.of()))
          .isInstanceOf(ServingException.class)
          .hasMessage("version 2 of model m is not newer than the published version 2");
      assertThat(a.topicState("m").pinnedVersion()).isEqualTo(1);
      ModelPublisher.PublishResult r3 = a.publish("m", 3, TopicRecords.randomBytes(3, 5000), Map.of(), true);
      assertThat(r3.retiredVersions()).isEmpty(); // 1 pinned, 2 the previous
      b.unpin("m");
      ModelPublisher.PublishResult r4 = b.publish("m", 4, TopicRecords.randomBytes(4, 5000), Map.of(), true);
      assertThat(r4.retiredVersions()).containsExactly(1L, 2L);
      assertThat(a.topicState("m").publishedVersions()).containsExactly(3L, 4L);
      assertThat(a.topicState("m").versionsWithRecords()).containsExactly(3L, 4L);
      assertThat(a.topicState("m").pinnedVersion()).isEqualTo(-1);
    }
  }

  @Test
  void shouldServeRealModelsReadBackThroughAPlainConsumerIncludingThePin() throws Exception {
    String topic = newTopic(1);
    byte[] v1 = TestModels.ctrm(1);
    byte[] v2 = TestModels.ctrm(2);
    try (ModelPublisher p = publisher(topic)) {
      p.publish("ctr", 1, v1, Map.of(ServedModel.COMPRESSED_FROM, "full-1"));
      p.publish("ctr", 2, v2, Map.of());
      p.pin("ctr", 1);
    }
    ModelChunkAssembler assembler = new ModelChunkAssembler();
    ModelRegistry registry = new ModelRegistry("ctr");
    for (Rec r : readAll(topic)) {
      registry.apply(assembler.accept(r.key(), r.value()));
    }

    assertThat(registry.current().version()).isEqualTo(1);
    assertThat(registry.current().compressedFrom()).contains("full-1");
    assertThat(registry.retainedVersions()).containsExactly(1L, 2L);
    assertThat(registry.rejectCounts().values()).allMatch(c -> c == 0);
    assertThat(registry.swapCount()).isEqualTo(3); // v1, v2, pin back to v1

    try (ModelPublisher p = publisher(topic)) {
      p.unpin("ctr");
    }
    List<Rec> log = readAll(topic);
    Rec last = log.get(log.size() - 1);
    registry.apply(assembler.accept(last.key(), last.value()));
    assertThat(registry.current().version()).isEqualTo(2);
  }

  @Test
  void shouldHotSwapAFollowedModelSoonAfterPublishing() throws Exception {
    String topic = newTopic(1);
    ModelRegistry registry = new ModelRegistry("live");
    List<Long> swapNanos = new java.util.concurrent.CopyOnWriteArrayList<>();
    registry.addListener(new RegistryListener() {
      @Override
      public void onSwap(ServedModel previous, ServedModel current) {
        swapNanos.add(System.nanoTime());
      }
    });
    byte[] v1 = TestModels.ctrm(1);
    byte[] v2 = TestModels.ctrm(TestModels.spec(16, 8), 2, 2);
    try (ModelPublisher p = publisher(topic);
        ModelTopicFollower f = new ModelTopicFollower(
            Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
            topic, ModelFeed.of(registry)::accept)) {
      p.publish("live", 1, v1, Map.of());
      f.start();
      assertThat(f.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
      assertThat(registry.current().version()).isEqualTo(1);

      long t0 = System.nanoTime();
      p.publish("live", 2, v2, Map.of());
      TestConditions.waitFor(() -> registry.current().version() == 2, "version 2 served");
      assertThat(registry.current().version()).isEqualTo(2);
      System.out.printf("publish -> swap visible: %.0f ms (%d bytes)%n",
          (swapNanos.get(swapNanos.size() - 1) - t0) / 1e6, v2.length);
    }
  }

  // KafkaTopics: how the CLI and the demo create what the services require

  private static String cleanupPolicy(Admin admin, String topic) throws Exception {
    ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config config = admin.describeConfigs(List.of(res)).all().get().get(res);
    return config.get("cleanup.policy").value();
  }

  @Test
  void shouldCreateTopicsIdempotentlyWithTheirConfigs() throws Exception {
    String compacted = uniqueName("models");
    String plain = uniqueName("plain");
    try (Admin admin = admin()) {
      Set<String> first =
          KafkaTopics.ensure(
              admin, List.of(KafkaTopics.compacted(compacted, 1), KafkaTopics.plain(plain, 2)));
      Set<String> second =
          KafkaTopics.ensure(
              admin, List.of(KafkaTopics.compacted(compacted, 1), KafkaTopics.plain(plain, 2)));

      assertThat(first).containsExactlyInAnyOrder(compacted, plain);
      assertThat(second).isEmpty();
      assertThat(admin.describeTopics(List.of(plain)).allTopicNames().get().get(plain).partitions())
          .hasSize(2);
      assertThat(cleanupPolicy(admin, compacted)).isEqualTo("compact");
    }
  }

  @Test
  void shouldCreateWhatEveryServiceRequiresOnceThroughItsAdminConfigs() throws Exception {
    String models = uniqueName("models");
    List<ModelPublisherConfig> services = List.of(
        new ModelPublisherConfig(Map.of("bootstrap.servers", broker.bootstrapServers(), "topic.models", models,
            "admin.request.timeout.ms", "20000")),
        new ModelPublisherConfig(Map.of("bootstrap.servers", broker.bootstrapServers(), "topic.models", models,
            "model.name", "other")));

    assertThat(KafkaTopics.ensure(services)).containsExactly(models);
    assertThat(KafkaTopics.ensure(services)).isEmpty();
    try (Admin admin = admin()) {
      assertThat(cleanupPolicy(admin, models)).isEqualTo("compact");
    }
  }
}
