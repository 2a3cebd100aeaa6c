package io.ctrstreams.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.serving.ModelRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Client mistakes never get a 5xx: random bytes and valid requests with a value replaced by an
 * arbitrary JSON value are answered 200 or 4xx, an error always with a JSON body naming a reason.
 */
class BadRequestProperties {
  private static final Set<String> REASONS = Set.of("bad_json", "bad_avro", "unknown_schema", "missing_field",
      "wrong_type", "non_finite", "empty_candidates", "too_many_candidates", "too_large", "unknown_input",
      "shape_mismatch", "scoring_failed");
  private static CtrServer server;
  private static RestClient client;

  @BeforeContainer
  static void start() throws InterruptedException {
    ModelRegistry registry = new ModelRegistry("ctr");
    ServerTestModels.offer(registry, ServerTestModels.model("ctr", 1, 7), 1);
    server = CtrServer.builder(ServedModels.of(registry), new ServerMetrics(new PrometheusRegistry()))
        .port(0).threads(1).maxCandidates(8).maxRequestBytes(4096).build().start();
    client = new RestClient(server.port());
  }

  @AfterContainer
  static void stop() {
    server.close();
  }

  @Property(tries = 150, shrinking = ShrinkingMode.OFF)
  void randomBytesAreAClientError(@ForAll("bytes") byte[] body, @ForAll("paths") String path) {
    check(client.post(path, body), body.length == 0 ? "(empty)" : new String(body, java.nio.charset.StandardCharsets.UTF_8));
  }

  @Property(tries = 300, shrinking = ShrinkingMode.OFF)
  void aValueReplacedByAnyJsonIsScoredOrRejected(@ForAll("mutated") String body, @ForAll("paths") String path) {
    check(client.post(path, body), body);
  }

  private static void check(RestClient.Reply r, String body) {
    assertThat(r.status()).as(body + " -> " + r.body()).isIn(200, 400, 413);
    if (r.status() != 200) {
      assertThat(r.json().get("reason").asText()).as(body).isIn(REASONS);
      assertThat(r.json().get("error").asText()).isNotEmpty();
    }
  }

  @Provide
  Arbitrary<String> paths() {
    return Arbitraries.of("/v1/models/ctr/score", "/v2/models/ctr/infer");
  }

  @Provide
  Arbitrary<byte[]> bytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
  }

  @Provide
  Arbitrary<String> mutated() {
    Arbitrary<String> value = Arbitraries.oneOf(
        Arbitraries.of("null", "true", "[]", "{}", "[1,2]", "1e400", "-1e400", "NaN", "\"\"", "\"13\"", "0",
            "-5", "9223372036854775808", "[[\"x\"]]", "\"\\ud800\"", "{\"a\":1,\"a\":2}"),
        Arbitraries.strings().ofMaxLength(12).map(s -> "\"" + s.replace("\\", "").replace("\"", "") + "\""),
        Arbitraries.doubles().map(Object::toString));
    List<String> templates = List.of(
        "{\"eventId\":%s,\"context\":{\"user\":\"u\",\"hour\":3},\"candidates\":[{\"adId\":\"a\",\"features\":{\"ad\":\"x\",\"bid\":1}}]}",
        "{\"eventId\":\"e\",\"timestampMs\":%s,\"candidates\":[{\"adId\":\"a\"}]}",
        "{\"eventId\":\"e\",\"context\":{\"user\":%s,\"hour\":3},\"candidates\":[{\"adId\":\"a\"}]}",
        "{\"eventId\":\"e\",\"context\":{\"hour\":%s},\"candidates\":[{\"adId\":\"a\"}]}",
        "{\"eventId\":\"e\",\"context\":%s,\"candidates\":[{\"adId\":\"a\"}]}",
        "{\"eventId\":\"e\",\"candidates\":%s}",
        "{\"eventId\":\"e\",\"candidates\":[{\"adId\":%s,\"features\":{\"bid\":2}}]}",
        "{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\",\"features\":{\"bid\":%s,\"ad\":\"q\"}}]}",
        "{\"id\":%s,\"inputs\":[{\"name\":\"bid\",\"datatype\":\"FP64\",\"shape\":[1],\"data\":[1]}]}",
        "{\"inputs\":%s}",
        "{\"inputs\":[{\"name\":%s,\"datatype\":\"FP64\",\"shape\":[1],\"data\":[1]}]}",
        "{\"inputs\":[{\"name\":\"bid\",\"datatype\":%s,\"shape\":[1],\"data\":[1]}]}",
        "{\"inputs\":[{\"name\":\"bid\",\"datatype\":\"FP64\",\"shape\":%s,\"data\":[1]}]}",
        "{\"inputs\":[{\"name\":\"bid\",\"datatype\":\"FP64\",\"shape\":[1],\"data\":%s}]}",
        "{\"inputs\":[{\"name\":\"ad\",\"datatype\":\"BYTES\",\"shape\":[2],\"data\":[%s,\"b\"]}]}",
        "{\"inputs\":[{\"name\":\"user\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[%s]},{\"name\":\"adId\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[%s]}]}");
    return Combinators.combine(Arbitraries.of(templates), value, value)
        .as((t, v1, v2) -> String.format(t, v1, v2));
  }
}
