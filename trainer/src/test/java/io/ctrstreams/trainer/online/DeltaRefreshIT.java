package io.ctrstreams.trainer.online;

import static io.ctrstreams.broker.testing.TestConditions.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.delta.DeltaApplier;
import io.ctrstreams.model.delta.DeltaState;
import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.serving.DeltaFollower;
import io.ctrstreams.serving.KafkaTopics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The delta chain end to end on the embedded broker: trainer -> topics -> followers, with restarts. */
@Tag("integration")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DeltaRefreshIT {
  private static final long SEED = 42;
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

  /** What a follower reconstructed last: the state after its last applied delta. */
  private static final class Last implements DeltaFollower.Listener {
    final AtomicReference<long[]> applied = new AtomicReference<>(new long[] {-1, -1, 0}); // base, seq, hash
    volatile DeltaState state;

    @Override
    public void onKeyframe(long version, DeltaState s) {
      applied.set(new long[] {version, 0, s.hash()});
      state = s;
    }

    @Override
    public void onApplied(ModelDelta d, DeltaState s) {
      applied.set(new long[] {d.baseVersion(), d.sequence(), s.hash()});
      state = s;
    }
  }

  private static DeltaFollower follower(OnlineTrainerConfig c, Last last) {
    return new DeltaFollower(Map.of("bootstrap.servers", broker.bootstrapServers()), c.modelUpdatesTopic(),
        c.deltasTopic(), c.modelName()).addListener(last).start();
  }

  @Test
  void followersShouldHoldTheTrainersWeightsBitForBitAcrossRestartsOfEither() throws Exception {
    Map<String, Object> props = new HashMap<>();
    props.put(OnlineTrainerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(OnlineTrainerConfig.MODEL_UPDATES_TOPIC_CONFIG, BrokerTestSupport.uniqueName("model-updates"));
    props.put(OnlineTrainerConfig.DELTAS_TOPIC_CONFIG, BrokerTestSupport.uniqueName("model-deltas"));
    props.put(OnlineTrainerConfig.SOURCE_CONFIG, "synthetic");
    props.put(OnlineTrainerConfig.SYNTHETIC_SEED_CONFIG, Long.toString(SEED));
    props.put(OnlineTrainerConfig.SNAPSHOT_INTERVAL_MS_CONFIG, "3000"); // keyframes
    props.put(OnlineTrainerConfig.MIN_EXAMPLES_CONFIG, "2000");
    props.put(OnlineTrainerConfig.HASH_BUCKETS_CONFIG, "500");
    props.put(OnlineTrainerConfig.MLP_CONFIG, "32,16");
    props.put(OnlineTrainerConfig.DELTA_ENABLED_CONFIG, "true");
    props.put(OnlineTrainerConfig.DELTA_INTERVAL_MS_CONFIG, "100");
    props.put(OnlineTrainerConfig.DELTA_ENCODING_CONFIG, "fp16");
    props.put(OnlineTrainerConfig.DELTA_KEYFRAME_RESIDUAL_RATIO_CONFIG, "0.9");
    OnlineTrainerConfig config = new OnlineTrainerConfig(props);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      KafkaTopics.ensure(admin, config.requiredTopics());
    }

    List<ModelDelta> sent = new CopyOnWriteArrayList<>();
    Last early = new Last();
    DeltaFollower a = follower(config, early); // from before the first keyframe
    long keyframe;
    long sequence;
    DeltaState trainerW;
    OnlineTrainer t = OnlineTrainers.backprop(config, new PrometheusRegistry());
    try {
      t.addDeltaListener((d, bytes) -> sent.add(d));
      t.start();
      waitFor(() -> t.failure() != null || (t.snapshotsPublished() >= 2 && sent.size() >= 40), Duration.ofSeconds(120),
          "two keyframes and 40 deltas");
      assertThat(t.failure()).isNull();
      a.close(); // a consumer killed mid-chain
      waitFor(() -> t.failure() != null || sent.size() >= 60, Duration.ofSeconds(60), "20 more deltas");
    } finally {
      t.close(); // then its chain state may be read
    }
    assertThat(t.probeLogitError()).as("probe logit error measured every 10 deltas").isFinite().isNotNegative();
    trainerW = t.deltaState();
    keyframe = t.lastVersion();
    sequence = t.deltaSequence();
    assertThat(early.applied.get()[1]).as("the early follower applied deltas").isPositive();
    ModelDelta lastSent = sent.get(sent.size() - 1);
    if (sequence > 0) { // else the trainer stopped right after a keyframe
      assertThat(lastSent.baseVersion()).isEqualTo(keyframe);
      assertThat(lastSent.sequence()).isEqualTo(sequence);
      assertThat(trainerW.hash()).isEqualTo(lastSent.hashAfter());
    }

    // a follower started now: newest keyframe, then its chain from the offset in its manifest
    Last late = new Last();
    try (DeltaFollower b = follower(config, late)) {
      waitFor(() -> late.applied.get()[0] == keyframe && late.applied.get()[1] == sequence,
          Duration.ofSeconds(60), "the late follower where the trainer stopped: v" + keyframe + " + " + sequence);
      assertThat(late.applied.get()[2]).isEqualTo(trainerW.hash());
      DeltaState w = late.state;
      for (int i = 0; i < trainerW.tensorCount(); i++) {
        assertThat(bits(w.values(i))).as(trainerW.name(i)).isEqualTo(bits(trainerW.values(i)));
      }
      assertThat(b.count(DeltaApplier.Outcome.HASH_MISMATCH)).isZero();
      assertThat(b.resyncs()).isZero();
    }

    // a restarted trainer continues from the newest keyframe: its chain is based on a new keyframe
    // made from it, and its held-out quality is not reset
    CtrModel before = OnlineTrainers.newestSnapshot(config).orElseThrow();
    assertThat(before.version()).isEqualTo(keyframe);
    List<ModelDelta> afterRestart = new CopyOnWriteArrayList<>();
    try (OnlineTrainer r = OnlineTrainers.backprop(config, new PrometheusRegistry())) {
      r.addDeltaListener((d, bytes) -> afterRestart.add(d));
      r.start();
      waitFor(() -> r.failure() != null || !afterRestart.isEmpty(), Duration.ofSeconds(60), "a delta after the restart");
      assertThat(r.failure()).isNull();
    }
    assertThat(afterRestart.get(0).baseVersion()).isEqualTo(keyframe + 1);
    assertThat(afterRestart.get(0).sequence()).isEqualTo(1);
    CtrModel resumed = OnlineTrainers.newestSnapshot(config).orElseThrow();
    assertThat(resumed.version()).isGreaterThanOrEqualTo(keyframe + 1);
    double aucBefore = HeldOut.auc(before, SEED, 4000);
    assertThat(aucBefore).isGreaterThan(0.6);
    assertThat(HeldOut.auc(resumed, SEED, 4000)).as("held-out AUC after the restart (before: %.4f)", aucBefore)
        .isGreaterThan(aucBefore - 0.02);
  }

  /**
   * The quantized encoding through the real topic, with bfloat16 scales and plain ranking, and with
   * log-coded scales and Fisher ranking (the trainer reading its optimizer's state at every delta):
   * a follower ends bit-identical to the trainer.
   */
  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"bf16/residual", "log4/fisher"})
  void aFollowerShouldHoldAnInt3ChainBitForBit(String scaleAndSelection) throws Exception {
    Map<String, Object> props = new HashMap<>();
    props.put(OnlineTrainerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(OnlineTrainerConfig.MODEL_UPDATES_TOPIC_CONFIG, BrokerTestSupport.uniqueName("model-updates"));
    props.put(OnlineTrainerConfig.DELTAS_TOPIC_CONFIG, BrokerTestSupport.uniqueName("model-deltas"));
    props.put(OnlineTrainerConfig.SOURCE_CONFIG, "synthetic");
    props.put(OnlineTrainerConfig.SYNTHETIC_SEED_CONFIG, Long.toString(SEED));
    props.put(OnlineTrainerConfig.MIN_EXAMPLES_CONFIG, "2000");
    props.put(OnlineTrainerConfig.HASH_BUCKETS_CONFIG, "500");
    props.put(OnlineTrainerConfig.MLP_CONFIG, "32,16");
    props.put(OnlineTrainerConfig.DELTA_ENABLED_CONFIG, "true");
    props.put(OnlineTrainerConfig.DELTA_INTERVAL_MS_CONFIG, "100");
    props.put(OnlineTrainerConfig.DELTA_ENCODING_CONFIG, "int3");
    props.put(OnlineTrainerConfig.DELTA_TOPK_RATIO_CONFIG, "0.2");
    props.put(OnlineTrainerConfig.DELTA_GROUP_SCALE_CONFIG, scaleAndSelection.split("/")[0]);
    props.put(OnlineTrainerConfig.DELTA_SELECTION_CONFIG, scaleAndSelection.split("/")[1]);
    props.put(OnlineTrainerConfig.DELTA_KEYFRAME_RESIDUAL_RATIO_CONFIG, "0.9");
    OnlineTrainerConfig config = new OnlineTrainerConfig(props);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      KafkaTopics.ensure(admin, config.requiredTopics());
    }
    List<ModelDelta> sent = new CopyOnWriteArrayList<>();
    OnlineTrainer t = OnlineTrainers.backprop(config, new PrometheusRegistry());
    try {
      t.addDeltaListener((d, bytes) -> sent.add(d));
      t.start();
      waitFor(() -> t.failure() != null || sent.size() >= 15, Duration.ofSeconds(120), "15 int3 deltas");
      assertThat(t.failure()).isNull();
    } finally {
      t.close();
    }
    assertThat(sent).allMatch(d -> d.encoding() == io.ctrstreams.model.delta.ValueEncoding.INT3);
    boolean log4 = scaleAndSelection.startsWith("log4");
    assertThat(sent).allMatch(d -> d.tensors().stream().allMatch(td -> (td.scales() != null) == log4));
    DeltaState trainerW = t.deltaState();
    long keyframe = t.lastVersion();
    long sequence = t.deltaSequence();
    Last late = new Last();
    try (DeltaFollower b = follower(config, late)) {
      waitFor(() -> late.applied.get()[0] == keyframe && late.applied.get()[1] == sequence,
          Duration.ofSeconds(60), "the follower where the trainer stopped: v" + keyframe + " + " + sequence);
      assertThat(late.applied.get()[2]).isEqualTo(trainerW.hash());
      for (int i = 0; i < trainerW.tensorCount(); i++) {
        assertThat(bits(late.state.values(i))).as(trainerW.name(i)).isEqualTo(bits(trainerW.values(i)));
      }
      assertThat(b.count(DeltaApplier.Outcome.HASH_MISMATCH)).isZero();
    }
  }

  private static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }
}
