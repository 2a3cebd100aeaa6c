package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopologyMetricsTest {

  private static String text(PrometheusRegistry r) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, r.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void everyDeadLetterSeriesShouldExistAtZeroBeforeTheFirstDeadLetter() throws Exception {
    PrometheusRegistry r = new PrometheusRegistry();
    TopologyMetrics m = new TopologyMetrics(r);
    m.expectDeadLetters(List.of("impressions", "clicks"));
    String t = text(r);
    for (String reason : DeadLetters.REASONS) {
      assertThat(t).contains("ctr_dlq_records_total{reason=\"" + reason + "\",topic=\"impressions\"} 0.0");
      assertThat(t).contains("ctr_dlq_records_total{reason=\"" + reason + "\",topic=\"clicks\"} 0.0");
    }
    assertThat(DeadLetters.REASONS).contains("bad_json", "too_large", "no_model", "scoring_failed");
    m.deadLetter("impressions", "bad_json");
    assertThat(text(r)).contains("ctr_dlq_records_total{reason=\"bad_json\",topic=\"impressions\"} 1.0");
  }

  @Test
  void buildInfoShouldNameServiceVersionAndJava() throws Exception {
    PrometheusRegistry r = new PrometheusRegistry();
    BuildInfo.register(r, "topology");
    assertThat(text(r)).contains("ctr_build_info{java_version=\"" + System.getProperty("java.version")
        + "\",service=\"topology\",version=\"" + BuildInfo.version() + "\"} 1");
  }
}
