package io.ctrstreams.trainer.online;

import static io.ctrstreams.broker.testing.TestConditions.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.serving.AssemblyResult;
import io.ctrstreams.serving.KafkaTopics;
import io.ctrstreams.serving.ModelChunkAssembler;
import io.ctrstreams.trainer.TrainerConfig;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RawSchema;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The holdout publish guard in the running trainer, on the embedded broker, with deltas on: a
 * learner that overfits gets its later keyframes refused; the model-updates topic holds only the
 * snapshots that passed (consecutive versions, each within the threshold of the one before on the
 * same holdout rows), the refusals are counted, and no delta follows a refused keyframe until one
 * passes (here: once the holdout rows leak into training), after which the chain resumes on it.
 */
@Tag("integration")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HoldoutGuardIT {
  private static final long SEED = 19;
  private static final double MAX_INCREASE = 0.01;
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

  /**
   * Data built to overfit: the same 400 synthetic rows with coin-flip labels, over and over. With
   * holdout.every = 4 the trainer holds out the same 100 of them every cycle and trains on the
   * other 300, so everything it learns is noise and the holdout window is always the same rows.
   */
  private static final class CyclingSource implements ExampleSource {
    private final RawRecord[] rows;
    private int next;
    /**
     * Leak the holdout rows into training: each group of four positions returns its held-out row
     * (the 4th) four times, so the window stays the same 100 rows and the learner now fits them.
     */
    volatile boolean leak;

    CyclingSource(int n) {
      SyntheticStream s = new SyntheticStream(SEED);
      Random coin = new Random(SEED);
      rows = new RawRecord[n];
      for (int i = 0; i < n; i++) {
        rows[i] = s.schema().newRecord();
        s.nextInto(rows[i]);
        rows[i].label = coin.nextBoolean() ? 1 : 0;
      }
    }

    @Override
    public RawSchema schema() {
      return rows[0].schema();
    }

    @Override
    public int next(RawRecord[] batch, long maxWaitMs) {
      for (RawRecord r : batch) {
        r.copyFrom(rows[leak ? next / 4 * 4 + 3 : next]);
        next = (next + 1) % rows.length;
      }
      return batch.length;
    }
  }

  @Test
  void shouldNotPublishKeyframesThatAreWorseOnTheHoldoutAndPauseTheDeltas() throws Exception {
    Map<String, Object> props = new HashMap<>();
    props.put(OnlineTrainerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(OnlineTrainerConfig.MODEL_UPDATES_TOPIC_CONFIG, BrokerTestSupport.uniqueName("model-updates"));
    props.put(OnlineTrainerConfig.DELTAS_TOPIC_CONFIG, BrokerTestSupport.uniqueName("model-deltas"));
    props.put(OnlineTrainerConfig.SNAPSHOT_INTERVAL_MS_CONFIG, "0");
    props.put(OnlineTrainerConfig.SNAPSHOT_EXAMPLES_CONFIG, "3000");
    props.put(OnlineTrainerConfig.MIN_EXAMPLES_CONFIG, "300");
    props.put(OnlineTrainerConfig.BATCH_SIZE_CONFIG, "64");
    props.put(OnlineTrainerConfig.HASH_BUCKETS_CONFIG, "500");
    props.put(OnlineTrainerConfig.MLP_CONFIG, "64,32");
    props.put(OnlineTrainerConfig.HOLDOUT_EVERY_CONFIG, "4");
    props.put(OnlineTrainerConfig.HOLDOUT_ROWS_CONFIG, "100");
    props.put(OnlineTrainerConfig.HOLDOUT_MIN_ROWS_CONFIG, "100");
    props.put(OnlineTrainerConfig.PUBLISH_MAX_HOLDOUT_LOGLOSS_INCREASE_CONFIG, Double.toString(MAX_INCREASE));
    props.put(OnlineTrainerConfig.DELTA_ENABLED_CONFIG, "true");
    props.put(OnlineTrainerConfig.DELTA_INTERVAL_MS_CONFIG, "10");
    props.put(OnlineTrainerConfig.DELTA_KEYFRAME_RESIDUAL_RATIO_CONFIG, "0.99");
    OnlineTrainerConfig config = new OnlineTrainerConfig(props);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      KafkaTopics.ensure(admin, config.requiredTopics());
    }
    CyclingSource source = new CyclingSource(400);
    TrainerConfig tc = TrainerConfig.defaults().withBatchSize(config.batchSize()).withSeed(SEED).withThreads(1)
        .withGemm("java");
    TrainerLearner learner = TrainerLearner.fromScratch(OnlineModels.spec(source.schema(), config), tc);

    // what the trainer did, in order: S<version>, R (refused), D<base version>
    List<String> events = new CopyOnWriteArrayList<>();
    List<HoldoutGuard.Decision> refusals = new CopyOnWriteArrayList<>();
    PrometheusRegistry prom = new PrometheusRegistry();
    OnlineTrainer t = new OnlineTrainer(config, learner, source, prom);
    try {
      t.addListener(new OnlineTrainer.SnapshotListener() {
        @Override
        public void onSnapshot(long version, long examplesTrained, double loss, long bytes) {
          events.add("S" + version);
        }

        @Override
        public void onRefused(long examplesTrained, HoldoutGuard.Decision d) {
          events.add("R");
          refusals.add(d);
        }
      });
      t.addDeltaListener((d, bytes) -> events.add("D" + d.baseVersion()));
      t.start();
      waitFor(() -> t.failure() != null || t.snapshotsRefused() >= 3, Duration.ofSeconds(150),
          () -> "three refused snapshots; events so far " + events);
      assertThat(t.failure()).isNull();
      // then the learner gets better on the window: a keyframe passes and the chain resumes on it
      long publishedBefore = t.snapshotsPublished();
      source.leak = true;
      waitFor(() -> t.failure() != null || (t.snapshotsPublished() > publishedBefore
              && events.get(events.size() - 1).equals("D" + t.lastVersion())), Duration.ofSeconds(120),
          () -> "a keyframe passing the guard and a delta on it; events so far " + events);
      assertThat(t.failure()).isNull();
    } finally {
      t.close();
    }

    // counted, with the reason
    assertThat(HoldoutGuardTest.counter(prom, "ctr_trainer_snapshots_refused", HoldoutGuard.REASON_HOLDOUT_LOGLOSS))
        .isEqualTo(t.snapshotsRefused()).isEqualTo(refusals.size());
    assertThat(HoldoutGuardTest.counter(prom, "ctr_trainer_holdout_examples", null)).isPositive();
    // the keyframe that ended the pause is counted as such
    assertThat(HoldoutGuardTest.counter(prom, "ctr_trainer_keyframes", "guard")).isGreaterThanOrEqualTo(1);
    // the first snapshot is published, and the chain ran on it before the first refusal
    assertThat(events.get(0)).isEqualTo("S1");
    int firstRefusal = events.indexOf("R");
    assertThat(events.subList(0, firstRefusal)).as("events %s", events).contains("D1");
    // after a refusal, no delta until a keyframe passes (then the chain is based on it)
    boolean paused = false;
    long base = 0;
    for (String e : events) {
      if (e.equals("R")) {
        paused = true;
      } else if (e.startsWith("S")) {
        paused = false;
        base = Long.parseLong(e.substring(1));
      } else {
        assertThat(paused).as("a delta after a refused keyframe: %s", events).isFalse();
        assertThat(Long.parseLong(e.substring(1))).as("delta base in %s", events).isEqualTo(base);
      }
    }
    for (HoldoutGuard.Decision d : refusals) {
      assertThat(d.increase()).as("%s", d).isGreaterThan(MAX_INCREASE);
      assertThat(d.rows()).isEqualTo(100);
    }

    // the topic holds only what passed: versions 1..k, each within the threshold of the one before
    // (the window is the same 100 rows throughout, so the recorded losses compare directly)
    TreeMap<Long, Double> holdout = publishedHoldoutLosses(config.modelUpdatesTopic());
    assertThat(holdout.keySet()).hasSize((int) t.snapshotsPublished());
    assertThat(new ArrayList<>(holdout.keySet())).isEqualTo(
        java.util.stream.LongStream.rangeClosed(1, t.snapshotsPublished()).boxed().toList());
    for (long v = 2; v <= holdout.lastKey(); v++) {
      assertThat(holdout.get(v)).as("holdout logloss of v%d", v).isLessThanOrEqualTo(holdout.get(v - 1) + MAX_INCREASE + 1e-5);
    }
    // every refusal was judged against the version published last before it
    long lastVersion = 0;
    int refusal = 0;
    for (String e : events) {
      if (e.startsWith("S")) {
        lastVersion = Long.parseLong(e.substring(1));
      } else if (e.equals("R")) {
        assertThat(refusals.get(refusal++).publishedLogloss()).as("refusal %d against v%d", refusal, lastVersion)
            .isCloseTo(holdout.get(lastVersion), org.assertj.core.data.Offset.offset(1e-5));
      }
    }
  }

  /** Version to the holdout-logloss of its manifest, for every snapshot on {@code topic}. */
  private static TreeMap<Long, Double> publishedHoldoutLosses(String topic) throws InterruptedException {
    TreeMap<Long, Double> out = new TreeMap<>();
    ModelChunkAssembler a = new ModelChunkAssembler();
    for (ConsumerRecord<byte[], byte[]> r : BrokerTestSupport.readAll(broker.bootstrapServers(), topic)) {
      if (a.accept(new String(r.key(), StandardCharsets.UTF_8), r.value()) instanceof AssemblyResult.Assembled x) {
        CtrmFormat.read(x.bytes()); // a complete, readable model
        out.put(x.version(), Double.parseDouble(x.manifest().getMetadata().get("holdout-logloss").toString()));
      }
    }
    return out;
  }
}
