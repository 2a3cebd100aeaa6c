package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.eval.BinaryMetrics;
import io.ctrstreams.model.eval.MetricsSnapshot;
import io.ctrstreams.schemas.LabeledExample;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OnlineMetricsTest {
  private static LabeledExample ex(long version, double p, Double shadowP, int label, long ts) {
    return LabeledExample.newBuilder()
        .setEventId("e").setAdId("a").setContext(new HashMap<>()).setFeatures(new HashMap<>())
        .setLabel(label).setServedPctr(p).setShadowPctr(shadowP)
        .setModelName("ctr").setModelVersion(version)
        .setShadowModelVersion(shadowP == null ? null : 100L)
        .setImpressionTimestampMs(ts).setClickTimestampMs(null).setLabeledAtMs(ts)
        .build();
  }

  @Test
  void shouldTrackQualityPerVersionAndVariantMatchingExactMetrics() {
    long seed = 42;
    Random rnd = new Random(seed);
    OnlineMetrics online = new OnlineMetrics(3_600_000);
    int n = 2000;
    double[] p = new double[n];
    boolean[] y = new boolean[n];
    for (int i = 0; i < n; i++) {
      p[i] = rnd.nextDouble() * 0.5;
      y[i] = rnd.nextDouble() < p[i];
      online.onLabel(ex(3, p[i], Math.min(0.99, p[i] * 1.1), y[i] ? 1 : 0, 1_000 + i));
    }
    online.onLabel(ex(4, 0.3, null, 1, 5_000));
    MetricsSnapshot live = online.snapshot("ctr", 3, "live");
    assertThat(live.count()).as("seed " + seed).isEqualTo(n);
    // bucketed AUC agrees with the exact one within its resolution
    assertThat(live.auc()).isCloseTo(BinaryMetrics.auc(p, y), org.assertj.core.data.Offset.offset(2e-3));
    assertThat(live.logloss()).isCloseTo(BinaryMetrics.logloss(p, y), org.assertj.core.data.Offset.offset(1e-6));
    assertThat(online.snapshot("ctr", 100, "shadow").count()).isEqualTo(n);
    assertThat(online.snapshot("ctr", 4, "live").count()).isEqualTo(1);

    PrometheusRegistry r = new PrometheusRegistry();
    r.register(online);
    assertThat(MetricValues.value(r, "ctr_online_examples", "model", "ctr", "variant", "live", "version", "3", "source", "stream")).isEqualTo(n);
    assertThat(MetricValues.value(r, "ctr_online_auc", "model", "ctr", "variant", "shadow", "version", "100", "source", "stream"))
        .isBetween(0.5, 1.0);
  }

  @Test
  void rpcServedImpressionsShouldGetASeriesOfTheirOwn() {
    OnlineMetrics online = new OnlineMetrics(3_600_000);
    // the topology's impressions rank well, ctr serve's rank perfectly badly: separate series show it
    online.onLabel(ex(5, 0.9, null, 1, 1));
    online.onLabel(ex(5, 0.1, null, 0, 2));
    LabeledExample rpcPos = ex(5, 0.2, 0.3, 1, 3);
    rpcPos.setSource("rpc");
    LabeledExample rpcNeg = ex(5, 0.8, 0.7, 0, 4);
    rpcNeg.setSource("rpc");
    online.onLabel(rpcPos);
    online.onLabel(rpcNeg);
    assertThat(online.snapshot("ctr", 5, "live").count()).isEqualTo(2);
    assertThat(online.snapshot("ctr", 5, "live").auc()).isEqualTo(1.0);
    assertThat(online.snapshot("ctr", 5, "live", "rpc").count()).isEqualTo(2);
    assertThat(online.snapshot("ctr", 5, "live", "rpc").auc()).isEqualTo(0.0);
    assertThat(online.snapshot("ctr", 100, "shadow", "rpc").count()).isEqualTo(2);
    PrometheusRegistry r = new PrometheusRegistry();
    r.register(online);
    assertThat(MetricValues.value(r, "ctr_online_auc", "model", "ctr", "variant", "live", "version", "5", "source", "rpc"))
        .isEqualTo(0.0);
    assertThat(MetricValues.value(r, "ctr_online_auc", "model", "ctr", "variant", "live", "version", "5", "source", "stream"))
        .isEqualTo(1.0);
  }

  @Test
  void shouldKeepLabelCardinalityBounded() {
    OnlineMetrics online = new OnlineMetrics(60_000);
    for (long v = 1; v <= 20; v++) {
      online.onLabel(ex(v, 0.1, null, 0, v));
    }
    assertThat(online.snapshot("ctr", 1, "live")).isNull();
    assertThat(online.snapshot("ctr", 20, "live")).isNotNull();
    assertThat(online.collect().get(0).getDataPoints()).hasSize(OnlineMetrics.MAX_SERIES);
  }

  @Test
  void aVersionNoLongerServedShouldLeaveTheScrapeOnceItsWindowHasSlidPast() {
    OnlineMetrics online = new OnlineMetrics(60_000);
    online.onLabel(ex(1, 0.2, null, 1, 0));
    online.onLabel(ex(1, 0.1, null, 0, 1_000));
    PrometheusRegistry r = new PrometheusRegistry();
    r.register(online);
    assertThat(MetricValues.value(r, "ctr_online_examples", "model", "ctr", "variant", "live", "version", "1", "source", "stream")).isEqualTo(2);
    online.onLabel(ex(2, 0.3, null, 1, 120_000)); // stream time passes v1's window
    java.util.List<String> versions = new java.util.ArrayList<>();
    for (var snapshot : r.scrape()) {
      if (snapshot.getMetadata().getName().equals("ctr_online_auc")) {
        snapshot.getDataPoints().forEach(dp -> versions.add(dp.getLabels().get("version")));
      }
    }
    assertThat(versions).containsExactly("2");
    assertThat(online.snapshot("ctr", 1, "live")).isNull();
  }
}
