package io.ctrstreams.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.serving.ModelRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Swaps under concurrent requests: every response is exactly what one fully loaded version scores
 * (no request sees a half-loaded model or a mix of two), and the versions one connection sees
 * never go backwards.
 */
class HotSwapTest {
  private static final int VERSIONS = 20;
  private static final int CLIENTS = 4;

  @Test
  @Timeout(120)
  void shouldServeEveryRequestWithOneWholeVersionAndNeverGoBackPerConnection() throws Exception {
    ModelRegistry registry = new ModelRegistry("ctr");
    Map<Long, CtrModel> models = new HashMap<>();
    for (long v = 1; v <= VERSIONS; v++) {
      models.put(v, ServerTestModels.model("ctr", v, 100 + v));
    }
    ServerTestModels.offer(registry, models.get(1L), 1);
    String body = "{\"eventId\":\"e\",\"context\":{\"user\":\"u-1\",\"hour\":7},\"candidates\":["
        + "{\"adId\":\"a\",\"features\":{\"ad\":\"x\",\"bid\":0.5}},{\"adId\":\"b\",\"features\":{\"ad\":\"y\",\"bid\":1.5}}]}";
    List<Map<String, ?>> cands = List.of(Map.of("ad", "x", "bid", 0.5), Map.of("ad", "y", "bid", 1.5));
    Map<Long, float[]> expected = new HashMap<>();
    models.forEach((v, m) -> expected.put(v, ServerTestModels.reference(m, Map.of("user", "u-1", "hour", 7.0), cands)));

    try (CtrServer server = CtrServer.builder(ServedModels.of(registry), new ServerMetrics(new PrometheusRegistry()))
        .port(0).threads(2).build().start()) {
      AtomicBoolean swapping = new AtomicBoolean(true);
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      AtomicInteger answered = new AtomicInteger();
      List<Thread> clients = new ArrayList<>();
      CountDownLatch started = new CountDownLatch(CLIENTS);
      for (int c = 0; c < CLIENTS; c++) {
        int id = c;
        Thread t = new Thread(() -> {
          RestClient client = new RestClient(server.port()); // one client: one keep-alive connection, sequential
          long last = 0;
          started.countDown();
          boolean finalRound = false;
          while (!finalRound) {
            finalRound = !swapping.get();
            RestClient.Reply r = client.post("/v1/models/ctr/score", body);
            if (r.status() != 200) {
              failures.add("client " + id + ": " + r.status() + " " + r.body());
              return;
            }
            JsonNode j = r.json();
            long v = j.get("version").asLong();
            if (v < last) {
              failures.add("client " + id + ": version went back from " + last + " to " + v);
            }
            last = v;
            float[] want = expected.get(v);
            for (int i = 0; i < 2; i++) {
              float got = (float) j.get("scores").get(i).get("pctr").asDouble();
              if (got != want[i]) {
                failures.add("client " + id + ": v" + v + " candidate " + i + " scored " + got + ", v" + v + " gives " + want[i]);
              }
            }
            answered.incrementAndGet();
          }
          if (last != VERSIONS) {
            failures.add("client " + id + ": last response after the swaps was v" + last);
          }
        }, "swap-client-" + c);
        t.start();
        clients.add(t);
      }
      assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
      for (long v = 2; v <= VERSIONS; v++) {
        int before = answered.get();
        ServerTestModels.offer(registry, models.get(v), v);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (answered.get() < before + CLIENTS && System.nanoTime() < deadline && failures.isEmpty()) {
          Thread.onSpinWait(); // let requests land on every version
        }
      }
      swapping.set(false);
      for (Thread t : clients) {
        t.join(TimeUnit.SECONDS.toMillis(60));
      }
      assertThat(failures).isEmpty();
      assertThat(answered.get()).isGreaterThanOrEqualTo(VERSIONS);
    }
  }
}
