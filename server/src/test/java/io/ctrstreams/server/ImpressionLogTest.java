package io.ctrstreams.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.server.internal.RequestScorer;
import io.ctrstreams.serving.ModelRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When Kafka does not take the log (here: a real producer whose cluster is unreachable), served
 * requests beyond the queue are dropped and counted, and the request thread never waits.
 */
class ImpressionLogTest {

  @Test
  @Timeout(120)
  void shouldDropAndCountWhenTheQueueIsFullInsteadOfBlocking() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort(); // nothing listens there once closed
    }
    Map<String, Object> producer = new HashMap<>();
    producer.put("bootstrap.servers", "127.0.0.1:" + closedPort);
    producer.put("max.block.ms", "60000");
    producer.put("key.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
    producer.put("value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
    ModelRegistry registry = new ModelRegistry("ctr");
    ServerTestModels.offer(registry, ServerTestModels.model("ctr", 1, 5), 1);
    PrometheusRegistry prom = new PrometheusRegistry();
    RequestScorer scorer = new RequestScorer(ServedModels.of(registry), 4, new ServerMetrics(prom));
    int capacity = 4;
    int requests = 10;
    try (ImpressionLog log = new ImpressionLog(producer, "served", capacity, false, prom)) {
      for (int i = 0; i < requests; i++) {
        Impression imp = new Impression("e-" + i, 1L, Map.of("user", "u"),
            List.of(new Candidate("a", Map.of("ad", "x"))));
        log.served(scorer.score(imp, ServerMetrics.Protocol.REST));
      }
      double queued = counter(prom, "ctr_impression_log_records", "queued");
      double dropped = counter(prom, "ctr_impression_log_dropped", null);
      assertThat(queued + dropped).isEqualTo(requests);
      // the thread holds at most one (blocked in send) and the queue the capacity
      assertThat(queued).isLessThanOrEqualTo(capacity + 1);
      assertThat(dropped).isGreaterThanOrEqualTo(requests - capacity - 1);
    }
  }

  private static double counter(PrometheusRegistry prom, String name, String outcome) {
    return prom.scrape().stream().filter(m -> m.getMetadata().getName().equals(name))
        .flatMap(m -> ((CounterSnapshot) m).getDataPoints().stream())
        .filter(d -> outcome == null || outcome.equals(d.getLabels().get("outcome")))
        .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
  }
}
