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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Conformance of every REST endpoint: status codes, JSON shapes, scores equal to the model's scorer. */
class RestEndpointsTest {
  private static final String SCORE = "/v1/models/ctr/score";
  private static final String INFER = "/v2/models/ctr/infer";
  private ModelRegistry registry;
  private CtrServer server;
  private RestClient client;
  private final CtrModel model = ServerTestModels.model("ctr", 1, 42);

  @BeforeEach
  void start() throws InterruptedException {
    registry = new ModelRegistry("ctr");
    server = CtrServer.builder(ServedModels.of(registry), new ServerMetrics(new PrometheusRegistry()))
        .port(0).threads(2).maxCandidates(50).maxRequestBytes(64 * 1024).build().start();
    client = new RestClient(server.port());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private void load() {
    ServerTestModels.offer(registry, model, 7);
  }

  private static String impression(String eventId, int n) {
    StringBuilder sb = new StringBuilder("{\"eventId\":\"" + eventId + "\",\"context\":{\"user\":\"u-3\",\"hour\":13},\"candidates\":[");
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"adId\":\"ad-").append(i).append("\",\"features\":{\"ad\":\"a")
          .append(i * 7).append("\",\"bid\":").append(0.25 * i).append("}}");
    }
    return sb.append("]}").toString();
  }

  private static List<Map<String, ?>> candidates(int n) {
    List<Map<String, ?>> cs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, Object> f = new HashMap<>();
      f.put("ad", "a" + (i * 7));
      f.put("bid", 0.25 * i);
      cs.add(f);
    }
    return cs;
  }

  private static Map<String, ?> context() {
    return Map.of("user", "u-3", "hour", 13.0);
  }

  @Test
  void shouldAnswerLivenessAlwaysAndReadinessOnlyOnceAModelIsLoaded() {
    assertThat(client.get("/v2/health/live").status()).isEqualTo(200);
    assertThat(client.get("/v2/health/live").json().get("live").asBoolean()).isTrue();
    RestClient.Reply notReady = client.get("/v2/health/ready");
    assertThat(notReady.status()).isEqualTo(503);
    assertThat(notReady.json().get("ready").asBoolean()).isFalse();
    assertThat(client.get("/v2/models/ctr/ready").status()).isEqualTo(503);
    assertThat(client.get("/v2/models/ctr").status()).isEqualTo(503);
    RestClient.Reply score = client.post(SCORE, impression("e-1", 2));
    assertThat(score.status()).isEqualTo(503);
    assertThat(score.json().get("reason").asText()).isEqualTo("no_model");
    load();
    assertThat(client.get("/v2/health/ready").status()).isEqualTo(200);
    assertThat(client.get("/v2/health/ready").json().get("ready").asBoolean()).isTrue();
    RestClient.Reply ready = client.get("/v2/models/ctr/ready");
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().get("ready").asBoolean()).isTrue();
    assertThat(client.get("/v2").json().get("name").asText()).isEqualTo("ctr-streams");
  }

  @Test
  void shouldAnswer404ForUnknownModelsAndRoutesAnd405ForWrongMethods() {
    load();
    for (String path : List.of("/v2/models/other", "/v2/models/other/ready")) {
      RestClient.Reply r = client.get(path);
      assertThat(r.status()).as(path).isEqualTo(404);
      assertThat(r.json().get("error").asText()).contains("other");
    }
    assertThat(client.post("/v1/models/other/score", impression("e", 1)).status()).isEqualTo(404);
    assertThat(client.post("/v2/models/other/infer", "{}").status()).isEqualTo(404);
    assertThat(client.get("/nope").status()).isEqualTo(404);
    assertThat(client.get(SCORE).status()).isEqualTo(405);
    assertThat(client.post("/v2/health/live", "").status()).isEqualTo(405);
  }

  @Test
  void shouldDescribeTheModelFieldsAsOipInputs() {
    load();
    JsonNode meta = client.get("/v2/models/ctr").json();
    assertThat(meta.get("name").asText()).isEqualTo("ctr");
    assertThat(meta.get("versions").get(0).asText()).isEqualTo("7");
    List<String> inputs = new ArrayList<>();
    meta.get("inputs").forEach(i -> inputs.add(i.get("name").asText() + ":" + i.get("datatype").asText()
        + ":" + i.get("shape").get(0).asInt()));
    assertThat(inputs).containsExactly("user:BYTES:1", "hour:FP64:1", "ad:BYTES:-1", "bid:FP64:-1", "adId:BYTES:-1");
    assertThat(meta.get("outputs").get(0).get("name").asText()).isEqualTo("pctr");
  }

  @Test
  void shouldScoreAsTheModelScorerDoes() {
    load();
    RestClient.Reply r = client.post(SCORE, impression("e-1", 16));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode body = r.json();
    assertThat(body.get("model").asText()).isEqualTo("ctr");
    assertThat(body.get("version").asLong()).isEqualTo(7);
    assertThat(body.size()).isEqualTo(3);
    float[] expected = ServerTestModels.reference(model, context(), candidates(16));
    JsonNode scores = body.get("scores");
    assertThat(scores.size()).isEqualTo(16);
    for (int i = 0; i < 16; i++) {
      assertThat(scores.get(i).get("adId").asText()).isEqualTo("ad-" + i);
      assertThat((float) scores.get(i).get("pctr").asDouble()).as("candidate %d", i).isEqualTo(expected[i]);
    }
  }

  @Test
  void shouldScoreOipInferenceRequestsAsTheModelScorerDoes() {
    load();
    String req = "{\"id\":\"r-1\",\"inputs\":["
        + "{\"name\":\"user\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"u-3\"]},"
        + "{\"name\":\"hour\",\"datatype\":\"INT64\",\"shape\":[1],\"data\":[13]},"
        + "{\"name\":\"ad\",\"datatype\":\"BYTES\",\"shape\":[3,1],\"data\":[[\"a0\"],[\"a7\"],[\"a14\"]]},"
        + "{\"name\":\"bid\",\"datatype\":\"FP64\",\"shape\":[3],\"data\":[0.0,0.25,0.5]}]}";
    RestClient.Reply r = client.post(INFER, req);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode body = r.json();
    assertThat(body.get("model_name").asText()).isEqualTo("ctr");
    assertThat(body.get("model_version").asText()).isEqualTo("7");
    assertThat(body.get("id").asText()).isEqualTo("r-1");
    JsonNode out = body.get("outputs").get(0);
    assertThat(out.get("name").asText()).isEqualTo("pctr");
    assertThat(out.get("datatype").asText()).isEqualTo("FP32");
    assertThat(out.get("shape").get(0).asInt()).isEqualTo(3);
    float[] expected = ServerTestModels.reference(model, context(), candidates(3));
    for (int i = 0; i < 3; i++) {
      assertThat((float) out.get("data").get(i).asDouble()).isEqualTo(expected[i]);
    }
  }

  @Test
  void shouldRejectMalformedImpressionsWith400NamingTheFieldAndTheDlqReason() {
    load();
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("{", "bad_json");
    cases.put("{\"eventId\":\"e\",\"eventId\":\"f\",\"candidates\":[{\"adId\":\"a\"}]}", "bad_json");
    cases.put("{\"candidates\":[{\"adId\":\"a\"}]}", "missing_field");
    cases.put("{\"eventId\":\"e\",\"candidates\":[]}", "empty_candidates");
    cases.put("{\"eventId\":\"e\",\"context\":{\"hour\":\"13\"},\"candidates\":[{\"adId\":\"a\"}]}", "wrong_type");
    cases.put("{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\",\"features\":{\"bid\":1e400}}]}", "non_finite");
    cases.put("{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\",\"features\":{\"ad\":[1]}}]}", "wrong_type");
    cases.put("{\"eventId\":\"e\",\"candidates\":[{\"features\":{}}]}", "missing_field");
    cases.forEach((body, reason) -> {
      RestClient.Reply r = client.post(SCORE, body);
      assertThat(r.status()).as(body + " -> " + r.body()).isEqualTo(400);
      assertThat(r.json().get("reason").asText()).as(body).isEqualTo(reason);
    });
    RestClient.Reply wrongType = client.post(SCORE,
        "{\"eventId\":\"e\",\"context\":{\"hour\":\"13\"},\"candidates\":[{\"adId\":\"a\"}]}");
    assertThat(wrongType.json().get("error").asText()).contains("context.hour");
    RestClient.Reply nonFinite = client.post(SCORE,
        "{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\",\"features\":{\"bid\":1e400}}]}");
    assertThat(nonFinite.json().get("error").asText()).contains("bid");
  }

  @Test
  void shouldRejectMalformedOipRequestsWith400NamingTheInput() {
    load();
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("[]", "bad_json");
    cases.put("{\"inputs\":[]}", "missing_field");
    cases.put("{\"inputs\":[{\"name\":\"colour\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"x\"]}]}", "unknown_input");
    cases.put("{\"inputs\":[{\"name\":\"ad\",\"datatype\":\"BYTES\",\"shape\":[2],\"data\":[\"x\"]}]}", "shape_mismatch");
    cases.put("{\"inputs\":[{\"name\":\"bid\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"x\"]}]}", "wrong_type");
    cases.put("{\"inputs\":[{\"name\":\"bid\",\"datatype\":\"FP64\",\"shape\":[1],\"data\":[\"1.5\"]}]}", "wrong_type");
    cases.put("{\"inputs\":[{\"name\":\"ad\",\"datatype\":\"BYTES\",\"shape\":[2],\"data\":[\"x\",\"y\"]},"
        + "{\"name\":\"bid\",\"datatype\":\"FP64\",\"shape\":[3],\"data\":[1,2,3]}]}", "shape_mismatch");
    cases.put("{\"inputs\":[{\"name\":\"user\",\"datatype\":\"BYTES\",\"shape\":[2],\"data\":[\"x\",\"y\"]}]}", "shape_mismatch");
    cases.put("{\"inputs\":[{\"name\":\"bid\",\"datatype\":\"FP64\",\"shape\":[1],\"data\":[1e400]}]}", "non_finite");
    cases.put("{\"inputs\":[{\"name\":\"bid\",\"shape\":[1],\"data\":[1]}]}", "missing_field");
    cases.forEach((body, reason) -> {
      RestClient.Reply r = client.post(INFER, body);
      assertThat(r.status()).as(body + " -> " + r.body()).isEqualTo(400);
      assertThat(r.json().get("reason").asText()).as(body + " -> " + r.body()).isEqualTo(reason);
    });
    assertThat(client.post(INFER, "{\"inputs\":[{\"name\":\"colour\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"x\"]}]}")
        .json().get("error").asText()).contains("colour");
  }

  @Test
  void shouldEnforceTheRequestSizeAndCandidateLimitsWith413() {
    load();
    RestClient.Reply tooMany = client.post(SCORE, impression("e-1", 51));
    assertThat(tooMany.status()).isEqualTo(413);
    assertThat(tooMany.json().get("reason").asText()).isEqualTo("too_many_candidates");
    assertThat(client.post(SCORE, impression("e-1", 50)).status()).isEqualTo(200);
    byte[] big = new byte[65 * 1024];
    java.util.Arrays.fill(big, (byte) ' ');
    RestClient.Reply tooLarge = client.post(SCORE, big);
    assertThat(tooLarge.status()).isEqualTo(413);
    assertThat(tooLarge.json().get("reason").asText()).isEqualTo("too_large");
    // the server goes on serving
    assertThat(client.post(SCORE, impression("e-2", 2)).status()).isEqualTo(200);
  }

  @Test
  void shouldExportScoringAndPerEndpointMetrics() {
    load();
    client.post(SCORE, impression("e-1", 4));
    client.post(SCORE, "{");
    String metrics = client.get("/metrics").body();
    assertThat(metrics).contains("ctr_candidates_scored_total{protocol=\"rest\",variant=\"live\"} 4.0");
    assertThat(metrics).contains("ctr_scoring_latency_seconds_count{protocol=\"rest\"} 1");
    assertThat(metrics).contains("ctr_server_request_duration_seconds_count{endpoint=\"/v1/models/{name}/score\"} 2");
    assertThat(metrics).contains("ctr_server_requests_total{code=\"400\",endpoint=\"/v1/models/{name}/score\"} 1.0");
    assertThat(metrics).contains("ctr_server_requests_rejected_total{protocol=\"rest\",reason=\"bad_json\"} 1.0");
  }
}
