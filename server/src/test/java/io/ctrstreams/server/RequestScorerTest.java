package io.ctrstreams.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.schemas.CodecException;
import io.ctrstreams.schemas.DecodeFailure;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.WireFormat;
import io.ctrstreams.server.internal.RequestException;
import io.ctrstreams.server.internal.RequestScorer;
import io.ctrstreams.serving.ModelRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The REST scoring path from the request's JSON bytes: records of the usual shape are encoded
 * straight from the bytes (no impression built until someone asks for it), others are decoded;
 * both give {@link CtrModel#scorer()}'s scores and the impression {@code decode} gives, and a bad
 * record fails with the decoder's reason either way.
 */
class RequestScorerTest {
  private static final ImpressionCodec CODEC = new ImpressionCodec(WireFormat.JSON, 4);
  private static final Map<String, Object> CONTEXT = Map.of("user", "u-7", "hour", 13.0);
  private static final List<Map<String, ?>> CANDIDATES = List.of(Map.of("ad", "a1", "bid", 0.5),
      Map.of("ad", "日本", "bid", 2.0));

  private final CtrModel model = ServerTestModels.model("ctr", 3, 11);
  private final RequestScorer scorer = scorer(model);

  private static RequestScorer scorer(CtrModel m) {
    ModelRegistry registry = new ModelRegistry("ctr");
    ServerTestModels.offer(registry, m, 3);
    return new RequestScorer(ServedModels.of(registry), 4, new ServerMetrics(new PrometheusRegistry()));
  }

  private static byte[] json(String prefix) {
    return (prefix + "\"eventId\":\"e-1\",\"timestampMs\":5,\"context\":{\"user\":\"u-7\",\"hour\":13},"
        + "\"candidates\":[{\"adId\":\"x\",\"features\":{\"ad\":\"a1\",\"bid\":0.5}},"
        + "{\"adId\":\"y\",\"features\":{\"ad\":\"\\u65e5\\u672c\",\"bid\":2.0}}]}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void shouldScoreTheUsualShapeStraightFromTheBytesAndBuildTheImpressionOnlyWhenAsked() {
    byte[] body = json("{");
    RequestScorer.Result r = scorer.score(body, 99L, CODEC, ServerMetrics.Protocol.REST);
    assertThat(r.body()).as("not decoded yet").isSameAs(body);
    assertThat(r.eventId()).isEqualTo("e-1");
    assertThat(r.size()).isEqualTo(2);
    assertThat(r.pctrs()).containsExactly(ServerTestModels.reference(model, CONTEXT, CANDIDATES));
    assertThat(r.adId(0)).isEqualTo("x");
    assertThat(r.adId(1)).isEqualTo("y");
    Impression imp = r.impression();
    assertThat(imp).isEqualTo(CODEC.decode(body, 99L));
    assertThat(r.body()).as("decoded once").isNull();
  }

  @Test
  void shouldDecodeOtherShapesAndScoreThemAlike() {
    // an unknown field: valid, but not the direct path's shape
    byte[] body = json("{\"source\":\"web\",");
    RequestScorer.Result r = scorer.score(body, 99L, CODEC, ServerMetrics.Protocol.REST);
    assertThat(r.body()).as("decoded").isNull();
    assertThat(r.impression()).isEqualTo(CODEC.decode(body, 99L));
    assertThat(r.pctrs()).containsExactly(ServerTestModels.reference(model, CONTEXT, CANDIDATES));
  }

  @Test
  void shouldFailBadRecordsWithTheDecodersReasonAndMessage() {
    byte[] dup = "{\"eventId\":\"e\",\"context\":{\"user\":\"a\",\"user\":\"b\"},\"candidates\":[{\"adId\":\"x\"}]}"
        .getBytes(StandardCharsets.UTF_8);
    String message = messageOf(() -> CODEC.decode(dup, 1L));
    assertThatThrownBy(() -> scorer.score(dup, 1L, CODEC, ServerMetrics.Protocol.REST))
        .isInstanceOf(CodecException.class).hasMessage(message)
        .satisfies(e -> assertThat(((CodecException) e).reason()).isEqualTo(DecodeFailure.BAD_JSON));
    byte[] wrongType = "{\"eventId\":\"e\",\"context\":{\"hour\":\"noon\"},\"candidates\":[{\"adId\":\"x\"}]}"
        .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> scorer.score(wrongType, 1L, CODEC, ServerMetrics.Protocol.REST))
        .isInstanceOf(CodecException.class)
        .hasMessage("feature context.hour: value of numeric field hour must be a number, found the string \"noon\"");
    // the failures left no state behind: the next request scores as before
    assertThat(scorer.score(json("{"), 99L, CODEC, ServerMetrics.Protocol.REST).pctrs())
        .containsExactly(ServerTestModels.reference(model, CONTEXT, CANDIDATES));
  }

  @Test
  void shouldNameTheImpressionWhenTheModelRejectsAValueOnEitherPath() {
    // a finite double beyond float range in a SCALED field: valid input the model cannot take
    byte[] body = "{\"eventId\":\"e-9\",\"context\":{},\"candidates\":[{\"adId\":\"x\",\"features\":{\"bid\":1e300}}]}"
        .getBytes(StandardCharsets.UTF_8);
    RequestException direct = catchThrowableOfType(RequestException.class,
        () -> scorer.score(body, 1L, CODEC, ServerMetrics.Protocol.REST));
    RequestException decoded = catchThrowableOfType(RequestException.class,
        () -> scorer.score(CODEC.decode(body, 1L), ServerMetrics.Protocol.REST));
    assertThat(direct.status()).isEqualTo(400);
    assertThat(direct.getMessage()).startsWith("the model rejects a value of impression e-9: ")
        .isEqualTo(decoded.getMessage());
  }

  private static String messageOf(Runnable r) {
    try {
      r.run();
    } catch (CodecException e) {
      return e.getMessage();
    }
    throw new AssertionError("no failure");
  }
}
