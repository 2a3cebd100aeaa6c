package io.ctrstreams.trainer.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.trainer.TrainerConfig;
import io.ctrstreams.trainer.TrainerException;
import io.ctrstreams.trainer.data.RawRecord;
import io.ctrstreams.trainer.data.RawSchema;
import io.ctrstreams.trainer.data.SyntheticStream;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The online trainer's holdout guard with the real backprop learner: a learner that overfits (it
 * trains over and over on a few rows whose labels are coin flips, while the holdout window holds
 * other coin-flip rows, so every bit it learns is noise) gets worse on the window, and the guard
 * refuses its snapshot against the one published before, counting the refusal.
 */
class HoldoutGuardTest {
  private static final long SEED = 19;

  @Test
  void shouldHoldOutEveryNthExampleInOrderAndKeepTheLatestInTheWindow() {
    SyntheticStream s = new SyntheticStream(SEED);
    RawSchema schema = s.schema();
    PrometheusRegistry prom = new PrometheusRegistry();
    HoldoutGuard g = new HoldoutGuard(schema, 4, 5, 1, 0.01, new OnlineTrainerMetrics(prom));
    RawRecord[] batch = new RawRecord[10];
    for (int i = 0; i < batch.length; i++) {
      batch[i] = schema.newRecord();
      batch[i].timestampMs = i; // the example's number
    }
    int n = g.split(batch, 10);
    // examples 3 and 7 (the 4th and 8th) are held out; the rest stay, in order
    assertThat(n).isEqualTo(8);
    long[] kept = new long[n];
    for (int i = 0; i < n; i++) {
      kept[i] = batch[i].timestampMs;
    }
    assertThat(kept).containsExactly(0, 1, 2, 4, 5, 6, 8, 9);
    assertThat(g.rows()).isEqualTo(2);
    // the count runs on over batches; the window keeps the latest 5 held-out examples
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < batch.length; i++) {
        batch[i].timestampMs = 10 * (round + 1) + i;
      }
      g.split(batch, 10);
    }
    assertThat(g.rows()).isEqualTo(5);
    assertThat(counter(prom, "ctr_trainer_holdout_examples", null)).isEqualTo(10);
    // every = 0: nothing held out, every snapshot published
    HoldoutGuard off = new HoldoutGuard(schema, 0, 5, 1, 0.01, new OnlineTrainerMetrics(new PrometheusRegistry()));
    assertThat(off.split(batch, 10)).isEqualTo(10);
    assertThat(off.enabled()).isFalse();
  }

  @Test
  void shouldRefuseTheSnapshotOfALearnerThatOverfitsAndCountIt() {
    SyntheticStream s = new SyntheticStream(SEED);
    RawSchema schema = s.schema();
    Random coin = new Random(SEED);
    // the holdout window, filled the trainer's way: every 2nd example of the stream
    PrometheusRegistry prom = new PrometheusRegistry();
    HoldoutGuard guard = new HoldoutGuard(schema, 2, 1000, 200, 0.01, new OnlineTrainerMetrics(prom));
    RawRecord[] stream = new RawRecord[2000];
    for (int i = 0; i < stream.length; i++) {
      stream[i] = schema.newRecord();
      s.nextInto(stream[i]);
      stream[i].label = coin.nextBoolean() ? 1 : 0;
    }
    int kept = guard.split(stream, stream.length);
    assertThat(kept).isEqualTo(1000);
    assertThat(guard.rows()).isEqualTo(1000);
    // training data built to overfit: 48 of the kept rows (coin-flip labels), over and over
    RawRecord[] train = java.util.Arrays.copyOf(stream, 48);
    OnlineTrainerConfig oc = new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.MLP_CONFIG, "64,32",
        OnlineTrainerConfig.HASH_BUCKETS_CONFIG, "500"));
    TrainerConfig tc = TrainerConfig.defaults().withBatchSize(16).withSeed(SEED).withThreads(1).withGemm("java");
    try (TrainerLearner learner = TrainerLearner.fromScratch(OnlineModels.spec(schema, oc), tc)) {
      learner.train(train, train.length);
      CtrModel first = learner.snapshot();
      HoldoutGuard.Decision d1 = guard.check(first);
      assertThat(d1.publish()).as("the first snapshot is always published: %s", d1).isTrue();
      assertThat(d1.publishedLogloss()).isNaN();
      guard.published(first, d1);
      for (int epoch = 0; epoch < 200; epoch++) {
        learner.train(train, train.length);
      }
      CtrModel overfit = learner.snapshot();
      HoldoutGuard.Decision d2 = guard.check(overfit);
      assertThat(d2.publish()).as("%s", d2).isFalse();
      assertThat(d2.publishedLogloss()).isEqualTo(d1.logloss());
      assertThat(d2.increase()).isGreaterThan(0.01);
      assertThat(d2.toString()).contains("vs published").contains("on 1000 rows");
      assertThat(counter(prom, "ctr_trainer_snapshots_refused", HoldoutGuard.REASON_HOLDOUT_LOGLOSS)).isEqualTo(1);
      assertThat(gauge(prom, "ctr_trainer_holdout_logloss")).isEqualTo(d2.logloss());
      // the reference stays the published snapshot: the overfit one is refused again, the
      // published one (checked as a candidate) passes
      assertThat(guard.check(overfit).publish()).isFalse();
      assertThat(guard.check(first).publish()).isTrue();
      assertThat(counter(prom, "ctr_trainer_snapshots_refused", HoldoutGuard.REASON_HOLDOUT_LOGLOSS)).isEqualTo(2);
      // a restarted trainer's guard takes the snapshot it resumes from as its reference: its
      // first check is judged too
      HoldoutGuard restarted = new HoldoutGuard(schema, 2, 1000, 200, 0.01, new OnlineTrainerMetrics(new PrometheusRegistry()));
      restarted.split(stream2(s, coin), 2000);
      restarted.reference(first);
      assertThat(restarted.check(overfit).publish()).isFalse();
    }
  }

  /** 2000 more stream rows with coin-flip labels. */
  private static RawRecord[] stream2(SyntheticStream s, Random coin) {
    RawRecord[] rows = new RawRecord[2000];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = s.schema().newRecord();
      s.nextInto(rows[i]);
      rows[i].label = coin.nextBoolean() ? 1 : 0;
    }
    return rows;
  }

  @Test
  void shouldPublishUnguardedWhileTheWindowIsSmallerThanTheMinimum() {
    SyntheticStream s = new SyntheticStream(SEED);
    RawSchema schema = s.schema();
    HoldoutGuard guard = new HoldoutGuard(schema, 2, 1000, 200, 0.0,
        new OnlineTrainerMetrics(new PrometheusRegistry()));
    RawRecord[] rows = new RawRecord[100];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = schema.newRecord();
      s.nextInto(rows[i]);
    }
    guard.split(rows, rows.length);
    OnlineTrainerConfig oc = new OnlineTrainerConfig(Map.of(OnlineTrainerConfig.MLP_CONFIG, "8",
        OnlineTrainerConfig.HASH_BUCKETS_CONFIG, "50"));
    CtrModel a = CtrModel.random(OnlineModels.spec(schema, oc), 1);
    CtrModel b = CtrModel.random(OnlineModels.spec(schema, oc), 2);
    guard.published(a, guard.check(a));
    // 50 rows < 200: published whatever the loss
    assertThat(guard.check(b).rows()).isEqualTo(50);
    assertThat(guard.check(b).publish()).isTrue();
  }

  @Test
  void shouldRejectSettingsThatCannotWorkNamingThem() {
    RawSchema schema = new SyntheticStream(SEED).schema();
    OnlineTrainerMetrics m = new OnlineTrainerMetrics(new PrometheusRegistry());
    assertThatThrownBy(() -> new HoldoutGuard(schema, 1, 10, 1, 0.01, m)).isInstanceOf(TrainerException.class)
        .hasMessageContaining("every=1");
    assertThatThrownBy(() -> new HoldoutGuard(schema, 2, 10, 1, Double.NaN, m)).isInstanceOf(TrainerException.class)
        .hasMessageContaining("increase=NaN");
  }

  static double counter(PrometheusRegistry prom, String name, String reason) {
    return prom.scrape().stream().filter(x -> x.getMetadata().getName().equals(name))
        .flatMap(x -> ((CounterSnapshot) x).getDataPoints().stream())
        .filter(d -> reason == null || reason.equals(d.getLabels().get("reason")))
        .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
  }

  static double gauge(PrometheusRegistry prom, String name) {
    return prom.scrape().stream().filter(x -> x.getMetadata().getName().equals(name))
        .flatMap(x -> ((GaugeSnapshot) x).getDataPoints().stream())
        .mapToDouble(GaugeSnapshot.GaugeDataPointSnapshot::getValue).sum();
  }
}
