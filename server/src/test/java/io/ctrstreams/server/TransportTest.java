package io.ctrstreams.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.serving.ModelRegistry;
import io.netty.channel.epoll.Epoll;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The REST server on each transport it offers: the same answers from native epoll and from NIO. */
class TransportTest {
  private final CtrModel model = ServerTestModels.model("ctr", 1, 42);

  @Test
  void shouldLoadTheNativeEpollTransportOnLinuxX8664() {
    // the build ships the linux-x86_64 native library; where it runs (CI, the image) it must load,
    // so "auto" really is epoll there rather than silently falling back
    if (System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch").equals("amd64")) {
      assertThat(Epoll.isAvailable()).as("epoll unavailable: %s", Epoll.unavailabilityCause()).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"epoll", "nio", "auto"})
  void shouldScoreTheSameOnEveryTransport(String transport) throws InterruptedException {
    ModelRegistry registry = new ModelRegistry("ctr");
    ServerTestModels.offer(registry, model, 7);
    try (CtrServer server = CtrServer.builder(ServedModels.of(registry), new ServerMetrics(new PrometheusRegistry()))
        .port(0).threads(1).transport(transport).build().start()) {
      assertThat(server.transport()).isEqualTo(transport.equals("nio") || !Epoll.isAvailable() ? "nio" : "epoll");
      RestClient client = new RestClient(server.port());
      List<Map<String, ?>> cands = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        cands.add(Map.of("ad", "a" + (i * 3), "bid", 0.5 * i));
      }
      float[] expected = ServerTestModels.reference(model, Map.of("user", "u-9"), cands);
      StringBuilder body = new StringBuilder("{\"eventId\":\"t\",\"context\":{\"user\":\"u-9\"},\"candidates\":[");
      for (int i = 0; i < 5; i++) {
        body.append(i == 0 ? "" : ",").append("{\"adId\":\"ad-").append(i).append("\",\"features\":{\"ad\":\"a")
            .append(i * 3).append("\",\"bid\":").append(0.5 * i).append("}}");
      }
      body.append("]}");
      for (int round = 0; round < 3; round++) { // several requests on one kept-alive connection
        RestClient.Reply r = client.post("/v1/models/ctr/score", body.toString());
        assertThat(r.status()).isEqualTo(200);
        JsonNode scores = r.json().get("scores");
        assertThat(scores).hasSize(5);
        for (int i = 0; i < 5; i++) {
          assertThat(scores.get(i).get("adId").asText()).isEqualTo("ad-" + i);
          assertThat((float) scores.get(i).get("pctr").asDouble()).isEqualTo(expected[i]);
        }
      }
      RestClient.Reply bad = client.post("/v1/models/ctr/score", "{\"eventId\":\"t\",\"eventId\":\"u\",\"candidates\":[]}");
      assertThat(bad.status()).isEqualTo(400);
      assertThat(bad.json().get("reason").asText()).isEqualTo("bad_json");
      assertThat(bad.json().get("error").asText()).contains("Duplicate field 'eventId'");
    }
  }

  @Test
  void shouldRejectAnUnknownTransportNamingIt() {
    assertThatThrownBy(() -> CtrServer.builder(ServedModels.of(new ModelRegistry("ctr")),
        new ServerMetrics(new PrometheusRegistry())).transport("io_uring"))
        .isInstanceOf(ServerException.class)
        .hasMessage("transport must be one of [auto, epoll, nio], found io_uring");
    assertThatThrownBy(() -> new ServeConfig(Map.of(ServeConfig.MODEL_FILE_CONFIG, "", ServeConfig.TRANSPORT_CONFIG, "kqueue")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kqueue").hasMessageContaining(ServeConfig.TRANSPORT_CONFIG);
  }
}
