package io.ctrstreams.cli.demo;

import static io.ctrstreams.broker.testing.TestConditions.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.model.delta.DeltaApplier;
import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.recompressor.service.CompressorPipeline;
import io.ctrstreams.recompressor.service.RecompressorConfig;
import io.ctrstreams.recompressor.service.RecompressorService;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.Score;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.serving.DeltaRecords;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ServedModel;
import io.ctrstreams.topology.TopologyApp;
import io.ctrstreams.topology.TopologyConfig;
import io.ctrstreams.trainer.online.OnlineTrainer;
import io.ctrstreams.trainer.online.OnlineTrainerConfig;
import io.ctrstreams.trainer.online.OnlineTrainers;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole refresh loop on the embedded broker: the trainer's delta chain, the recompressor's
 * projected chain and the topology applying it copy-on-write, each service killed and restarted
 * in turn. After every restart the topology serves the newest compressed version plus the newest
 * compressed delta the recompressor sent (the registry checks each delta's hash, so matching
 * sequence means bit-identical weights), and its scores carry the delta sequence.
 */
@Tag("integration")
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class DeltaRefreshLoopIT {
  private static final long SEED = 42;
  private static final String FULL = "loop-full";
  private static final String LIVE = "loop";
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

  private final String impressions = BrokerTestSupport.uniqueName("impressions");
  private final String clicks = BrokerTestSupport.uniqueName("clicks");
  private final String scores = BrokerTestSupport.uniqueName("scores");
  private final String labeled = BrokerTestSupport.uniqueName("labeled");
  private final String dlq = BrokerTestSupport.uniqueName("dlq");
  private final String models = BrokerTestSupport.uniqueName("models");
  private final String updates = BrokerTestSupport.uniqueName("model-updates");
  private final String deltas = BrokerTestSupport.uniqueName("model-deltas");
  private TopologyApp topology;
  private OnlineTrainer trainer;
  private RecompressorService recompressor;

  private TopologyConfig topologyConfig(Path work) {
    Map<String, Object> p = new HashMap<>();
    p.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(TopologyConfig.APPLICATION_ID_CONFIG, BrokerTestSupport.uniqueName("loop-topology"));
    p.put(TopologyConfig.IMPRESSIONS_TOPIC_CONFIG, impressions);
    p.put(TopologyConfig.CLICKS_TOPIC_CONFIG, clicks);
    p.put(TopologyConfig.SCORES_TOPIC_CONFIG, scores);
    p.put(TopologyConfig.LABELED_TOPIC_CONFIG, labeled);
    p.put(TopologyConfig.DLQ_TOPIC_CONFIG, dlq);
    p.put(TopologyConfig.MODELS_TOPIC_CONFIG, models);
    p.put(TopologyConfig.DELTAS_TOPIC_CONFIG, deltas);
    p.put(TopologyConfig.DELTA_ENABLED_CONFIG, "true");
    p.put(TopologyConfig.MODEL_NAME_CONFIG, LIVE);
    p.put(TopologyConfig.TOPICS_PARTITIONS_CONFIG, "1");
    p.put(TopologyConfig.METRICS_PORT_CONFIG, "-1");
    p.put(TopologyConfig.MODEL_WAIT_MS_CONFIG, "120000");
    p.put("producer.transaction.timeout.ms", "180000");
    p.put("state.dir", work.resolve("streams").toString());
    p.put("num.stream.threads", "1");
    return new TopologyConfig(p);
  }

  private OnlineTrainerConfig trainerConfig() {
    Map<String, Object> p = new HashMap<>();
    p.put(OnlineTrainerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(OnlineTrainerConfig.MODEL_UPDATES_TOPIC_CONFIG, updates);
    p.put(OnlineTrainerConfig.DELTAS_TOPIC_CONFIG, deltas);
    p.put(OnlineTrainerConfig.MODEL_NAME_CONFIG, FULL);
    p.put(OnlineTrainerConfig.SOURCE_CONFIG, "synthetic");
    p.put(OnlineTrainerConfig.SYNTHETIC_SEED_CONFIG, Long.toString(SEED));
    p.put(OnlineTrainerConfig.MAX_EXAMPLES_PER_SECOND_CONFIG, "3000");
    p.put(OnlineTrainerConfig.SNAPSHOT_INTERVAL_MS_CONFIG, "600000"); // one keyframe per trainer run
    p.put(OnlineTrainerConfig.METRICS_PORT_CONFIG, "-1");
    p.put(OnlineTrainerConfig.DELTA_ENABLED_CONFIG, "true");
    p.put(OnlineTrainerConfig.DELTA_INTERVAL_MS_CONFIG, "300");
    p.put(OnlineTrainerConfig.DELTA_TOPK_RATIO_CONFIG, "0.05");
    p.put(OnlineTrainerConfig.DELTA_KEYFRAME_RESIDUAL_RATIO_CONFIG, "0.9");
    return new OnlineTrainerConfig(p);
  }

  private RecompressorConfig recompressorConfig(Path work) {
    Map<String, Object> p = new HashMap<>();
    p.put(RecompressorConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(RecompressorConfig.GROUP_ID_CONFIG, BrokerTestSupport.uniqueName("loop-recompressor"));
    p.put(RecompressorConfig.STATE_DIR_CONFIG, work.resolve("recompressor").toString());
    p.put(RecompressorConfig.MODEL_UPDATES_TOPIC_CONFIG, updates);
    p.put(RecompressorConfig.MODELS_TOPIC_CONFIG, models);
    p.put(RecompressorConfig.IMPRESSIONS_TOPIC_CONFIG, impressions);
    p.put(RecompressorConfig.LABELED_TOPIC_CONFIG, labeled);
    p.put(RecompressorConfig.DELTAS_TOPIC_CONFIG, deltas);
    p.put(RecompressorConfig.DELTA_ENABLED_CONFIG, "true");
    p.put(RecompressorConfig.FULL_MODEL_NAME_CONFIG, FULL);
    p.put(RecompressorConfig.MODEL_NAME_CONFIG, LIVE);
    p.put(RecompressorConfig.SHADOW_MODEL_NAME_CONFIG, "");
    p.put(RecompressorConfig.COMPRESSION_SEARCH_CONFIG, "fixed");
    p.put(RecompressorConfig.COMPRESSION_EMBEDDING_RANK_CONFIG, "2");
    p.put(RecompressorConfig.CALIBRATION_MIN_IMPRESSIONS_CONFIG, "200");
    p.put(RecompressorConfig.METRICS_PORT_CONFIG, "-1");
    return new RecompressorConfig(p);
  }

  /** The newest compressed delta on the deltas topic: {base, sequence}, or {-1, -1}. */
  private long[] newestCompressedDelta() {
    long[] last = {-1, -1};
    for (ConsumerRecord<byte[], byte[]> r : readAll(deltas)) {
      if (r.key() != null && LIVE.equals(new String(r.key(), StandardCharsets.UTF_8))) {
        ModelDelta d = DeltaRecords.decode(r.value());
        if (d.baseVersion() > last[0] || (d.baseVersion() == last[0] && d.sequence() > last[1])) {
          last = new long[] {d.baseVersion(), d.sequence()};
        }
      }
    }
    return last;
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    try {
      return BrokerTestSupport.readAll(broker.bootstrapServers(), topic);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private io.ctrstreams.server.ServeConfig serveConfig() {
    Map<String, Object> p = new HashMap<>();
    p.put(io.ctrstreams.server.ServeConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(io.ctrstreams.server.ServeConfig.MODELS_TOPIC_CONFIG, models);
    p.put(io.ctrstreams.server.ServeConfig.MODEL_NAME_CONFIG, LIVE);
    p.put(io.ctrstreams.server.ServeConfig.DELTA_ENABLED_CONFIG, "true");
    p.put(io.ctrstreams.server.ServeConfig.DELTAS_TOPIC_CONFIG, deltas);
    p.put(io.ctrstreams.server.ServeConfig.PORT_CONFIG, "0");
    p.put(io.ctrstreams.server.ServeConfig.GRPC_PORT_CONFIG, "-1");
    p.put(io.ctrstreams.server.ServeConfig.LOG_ENABLED_CONFIG, "false");
    p.put(io.ctrstreams.server.ServeConfig.METRICS_PORT_CONFIG, "-1");
    return new io.ctrstreams.server.ServeConfig(p);
  }

  /** Waits until the topology serves the newest compressed version with the newest delta sent for it. */
  private long caughtUp(TopologyApp t, String when) throws InterruptedException {
    long t0 = System.nanoTime();
    waitFor(() -> {
      ServedModel s = t.live().current();
      long[] newest = newestCompressedDelta();
      return s != null && newest[1] > 0 && s.version() == newest[0] && s.deltaSequence() == newest[1];
    }, Duration.ofSeconds(180), () -> when + ": serving " + t.live().current() + ", newest compressed delta "
        + java.util.Arrays.toString(newestCompressedDelta()));
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void theLoopShouldRefreshByDeltasAndRecoverFromTheRestartOfEachService() throws Exception {
    Path work = Files.createTempDirectory("ctr-loop-");
    TopologyConfig tc = topologyConfig(work);
    OnlineTrainerConfig oc = trainerConfig();
    RecompressorConfig rc = recompressorConfig(work);
    KafkaTopics.ensure(List.of(tc, oc, rc));
    SyntheticTraffic traffic = new SyntheticTraffic(BrokerTestSupport.producerConfig(broker.bootstrapServers()),
        impressions, clicks, SEED, 200, 500, WireFormat.AVRO).start();
    topology = TopologyApp.start(tc);
    trainer = OnlineTrainers.backprop(oc, new PrometheusRegistry());
    trainer.start();
    recompressor = new RecompressorService(rc, CompressorPipeline.fromConfig(rc), new PrometheusRegistry());
    recompressor.start();
    try {
      // 1. deltas reach the scores
      waitFor(() -> recompressor.failure() == null && trainer.failure() == null
          && topology.live().current() != null && topology.live().current().deltaSequence() >= 5,
          Duration.ofSeconds(240), () -> "five deltas applied; serving " + topology.live().current()
              + ", recompressor " + recompressor.failure() + ", trainer " + trainer.failure());
      long caught = caughtUp(topology, "running");
      assertThat(topology.deltas().count(DeltaApplier.Outcome.HASH_MISMATCH)).isZero();
      waitFor(() -> readAll(scores).stream()
          .map(r -> Schemas.SCORE.decode(r.value(), null)).anyMatch(s -> s.getDeltaSequence() > 0),
          Duration.ofSeconds(60), "a score made with a delta");
      Score withDelta = readAll(scores).stream()
          .map(r -> Schemas.SCORE.decode(r.value(), null)).filter(s -> s.getDeltaSequence() > 0).findFirst()
          .orElseThrow();
      assertThat(withDelta.getModelName()).isEqualTo(LIVE);
      System.out.printf("delta loop: caught up in %d ms while running%n", caught);
      // ctr serve follows the same chain from the models topic
      try (io.ctrstreams.server.ServeApp serve = io.ctrstreams.server.ServeApp.start(serveConfig(), "test")) {
        waitFor(() -> {
          ServedModel s = serve.models().live().current();
          long[] newest = newestCompressedDelta();
          return s != null && newest[1] > 0 && s.version() == newest[0] && s.deltaSequence() == newest[1];
        }, Duration.ofSeconds(120), () -> "ctr serve at the newest compressed delta; serving "
            + serve.models().live().current() + ", newest " + java.util.Arrays.toString(newestCompressedDelta()));
      }

      // 2. the topology killed mid-chain: back to the newest version and delta
      topology.close();
      long restart = System.nanoTime();
      topology = TopologyApp.start(tc);
      long afterTopology = caughtUp(topology, "after the topology's restart");
      System.out.printf("delta loop: topology restarted, bit-identical again %d ms after start%n",
          (System.nanoTime() - restart) / 1_000_000);

      // 3. the recompressor killed: its restart refactorizes the stored snapshot and relays again
      long versionBefore = topology.live().current().version();
      recompressor.close();
      recompressor = new RecompressorService(rc, CompressorPipeline.fromConfig(rc), new PrometheusRegistry());
      recompressor.start();
      waitFor(() -> recompressor.failure() == null && topology.live().current().version() > versionBefore
          && topology.live().current().deltaSequence() > 0, Duration.ofSeconds(240),
          () -> "a new version with deltas after the recompressor's restart; serving " + topology.live().current());
      caughtUp(topology, "after the recompressor's restart");

      // 4. the trainer killed mid-interval: it resumes from its keyframe, the loop follows its new chain
      long versionBeforeTrainer = topology.live().current().version();
      trainer.close();
      trainer = OnlineTrainers.backprop(oc, new PrometheusRegistry());
      trainer.start();
      waitFor(() -> trainer.failure() == null && topology.live().current().version() > versionBeforeTrainer
          && topology.live().current().deltaSequence() > 0, Duration.ofSeconds(240),
          () -> "a version of the restarted trainer's keyframe with deltas; serving " + topology.live().current());
      caughtUp(topology, "after the trainer's restart");
      assertThat(topology.deltas().count(DeltaApplier.Outcome.HASH_MISMATCH)).isZero();
      assertThat(recompressor.deltasPublished()).isPositive();
      System.out.printf("delta loop: after the topology's restart caught up in %d ms of waiting%n", afterTopology);
    } finally {
      traffic.close();
      trainer.close();
      recompressor.close();
      topology.close();
    }
  }
}
