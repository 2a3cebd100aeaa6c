package io.ctrstreams.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrstreams.broker.EmbeddedKafkaBroker;
import io.ctrstreams.broker.testing.BrokerTestSupport;
import io.ctrstreams.broker.testing.TestConditions;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.schemas.LabelJoinEvent;
import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.ServedCandidate;
import io.ctrstreams.schemas.ServedImpression;
import io.ctrstreams.serving.ModelPublisher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ctr serve} against a real embedded KRaft broker: models followed from the models topic
 * (first load, hot swap, pin), and every response logged exactly once to the label join's input
 * with the scores, version and shadow scores it answered with.
 */
@Tag("integration")
@Timeout(180)
class ServeAppIT {
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

  private static Map<String, Object> config(String prefix) {
    String p = BrokerTestSupport.uniqueName(prefix);
    Map<String, Object> c = new HashMap<>();
    c.put(ServeConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    c.put(ServeConfig.MODELS_TOPIC_CONFIG, p + "-models");
    c.put(ServeConfig.LOG_TOPIC_CONFIG, p + "-served");
    c.put(ServeConfig.MODEL_NAME_CONFIG, "ctr");
    c.put(ServeConfig.PORT_CONFIG, "0");
    c.put(ServeConfig.GRPC_PORT_CONFIG, "-1");
    c.put(ServeConfig.THREADS_CONFIG, "2");
    c.put(ServeConfig.HOST_CONFIG, "127.0.0.1");
    // the label join's input: created by the topology in production
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
        Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      io.ctrstreams.serving.KafkaTopics.ensure(admin, List.of(io.ctrstreams.serving.KafkaTopics.plain(p + "-served", 3)));
    }
    return c;
  }

  private static String impression(String eventId) {
    return "{\"eventId\":\"" + eventId + "\",\"timestampMs\":1700000000000,\"context\":{\"user\":\"u-1\",\"hour\":7},\"candidates\":["
        + "{\"adId\":\"a\",\"features\":{\"ad\":\"x\",\"bid\":0.5}},{\"adId\":\"b\",\"features\":{\"ad\":\"y\",\"bid\":1.5}}]}";
  }

  private static final List<Map<String, ?>> CANDIDATES = List.of(Map.of("ad", "x", "bid", 0.5), Map.of("ad", "y", "bid", 1.5));
  private static final Map<String, ?> CONTEXT = Map.of("user", "u-1", "hour", 7.0);

  @Test
  void shouldFollowTheModelsTopicSwapAndPin() throws Exception {
    Map<String, Object> c = config("serve-swap");
    CtrModel v1 = ServerTestModels.model("ctr", 1, 11);
    CtrModel v2 = ServerTestModels.model("ctr", 2, 22);
    try (ServeApp app = ServeApp.start(new ServeConfig(c), "test");
        ModelPublisher publisher = new ModelPublisher(Map.of("bootstrap.servers", broker.bootstrapServers()),
            (String) c.get(ServeConfig.MODELS_TOPIC_CONFIG))) {
      RestClient client = new RestClient(app.port());
      assertThat(client.get("/v2/health/ready").status()).isEqualTo(503);
      assertThat(client.post("/v1/models/ctr/score", impression("e-0")).status()).isEqualTo(503);
      publisher.publish("ctr", 1, ServerTestModels.ctrm(v1), Map.of());
      TestConditions.waitFor(() -> client.get("/v2/health/ready").status() == 200, TestConditions.DEFAULT_TIMEOUT,
          "v1 loaded from the models topic");
      assertScores(client.post("/v1/models/ctr/score", impression("e-1")), 1, v1);
      publisher.publish("ctr", 2, ServerTestModels.ctrm(v2), Map.of());
      TestConditions.waitFor(() -> client.post("/v1/models/ctr/score", impression("e-2")).json().get("version").asLong() == 2,
          TestConditions.DEFAULT_TIMEOUT, "v2 swapped in");
      assertScores(client.post("/v1/models/ctr/score", impression("e-3")), 2, v2);
      publisher.pin("ctr", 1);
      TestConditions.waitFor(() -> client.post("/v1/models/ctr/score", impression("e-4")).json().get("version").asLong() == 1,
          TestConditions.DEFAULT_TIMEOUT, "pinned back to v1");
      assertScores(client.post("/v1/models/ctr/score", impression("e-5")), 1, v1);
      assertThat(client.get("/metrics").body()).contains("ctr_model_swaps_total{model=\"ctr\",role=\"live\"}");
    }
  }

  private static void assertScores(RestClient.Reply r, long version, CtrModel m) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode j = r.json();
    assertThat(j.get("version").asLong()).isEqualTo(version);
    float[] want = ServerTestModels.reference(m, CONTEXT, CANDIDATES);
    for (int i = 0; i < want.length; i++) {
      assertThat((float) j.get("scores").get(i).get("pctr").asDouble()).isEqualTo(want[i]);
    }
  }

  @Test
  void shouldLogEveryResponseExactlyOnceWithItsScoresAndShadowScores() throws Exception {
    Map<String, Object> c = config("serve-log");
    c.put(ServeConfig.SHADOW_MODEL_NAME_CONFIG, "full");
    c.put(ServeConfig.SHADOW_SAMPLE_RATE_CONFIG, "0.5");
    CtrModel live = ServerTestModels.model("ctr", 3, 33);
    CtrModel shadow = ServerTestModels.model("full", 9, 99);
    int n = 200;
    Map<String, JsonNode> responses = new HashMap<>();
    try (ModelPublisher publisher = new ModelPublisher(Map.of("bootstrap.servers", broker.bootstrapServers()),
        (String) c.get(ServeConfig.MODELS_TOPIC_CONFIG))) {
      io.ctrstreams.serving.KafkaTopics.ensure(List.of(new ServeConfig(c)));
      publisher.publish("ctr", 3, ServerTestModels.ctrm(live), Map.of());
      publisher.publish("full", 9, ServerTestModels.ctrm(shadow), Map.of());
    }
    String served = (String) c.get(ServeConfig.LOG_TOPIC_CONFIG);
    try (ServeApp app = ServeApp.start(new ServeConfig(c), "test")) {
      RestClient client = new RestClient(app.port());
      TestConditions.waitFor(() -> app.models().ready() && app.models().shadow().current() != null,
          TestConditions.DEFAULT_TIMEOUT, "live and shadow loaded");
      for (int i = 0; i < n; i++) {
        String id = "imp-" + i;
        RestClient.Reply r = client.post("/v1/models/ctr/score", impression(id));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        responses.put(id, r.json());
      }
    } // close flushes the log
    List<ConsumerRecord<byte[], byte[]>> records = BrokerTestSupport.readAll(broker.bootstrapServers(), served);
    Map<String, Integer> seen = new HashMap<>();
    int shadowed = 0;
    float[] shadowWant = ServerTestModels.reference(shadow, CONTEXT, CANDIDATES);
    for (ConsumerRecord<byte[], byte[]> rec : records) {
      LabelJoinEvent e = Schemas.LABEL_JOIN_EVENT.decode(rec.value(), null);
      ServedImpression si = e.getServed();
      assertThat(e.getClick()).isNull();
      assertThat(si.getSource()).as("the RPC path is named, so online metrics keep its own series").isEqualTo("rpc");
      assertThat(new String(rec.key(), StandardCharsets.UTF_8)).isEqualTo(si.getEventId());
      seen.merge(si.getEventId(), 1, Integer::sum);
      JsonNode resp = responses.get(si.getEventId());
      assertThat(resp).as(si.getEventId()).isNotNull();
      assertThat(si.getModelName()).isEqualTo("ctr");
      assertThat(si.getModelVersion()).isEqualTo(resp.get("version").asLong());
      assertThat(si.getTimestampMs()).isEqualTo(1700000000000L);
      assertThat(si.getContext()).containsKey("user");
      List<ServedCandidate> cs = si.getCandidates();
      assertThat(cs).hasSize(2);
      for (int i = 0; i < 2; i++) {
        assertThat(cs.get(i).getAdId()).isEqualTo(resp.get("scores").get(i).get("adId").asText());
        assertThat((float) cs.get(i).getPctr()).isEqualTo((float) resp.get("scores").get(i).get("pctr").asDouble());
      }
      boolean inSample = io.ctrstreams.serving.ShadowSampling.sampled(si.getEventId().getBytes(StandardCharsets.UTF_8), 0.5);
      assertThat(si.getShadowModelName()).as(si.getEventId()).isEqualTo(inSample ? "full" : null);
      if (inSample) {
        shadowed++;
        assertThat(si.getShadowModelVersion()).isEqualTo(9L);
        assertThat((float) cs.get(0).getShadowPctr().doubleValue()).isEqualTo(shadowWant[0]);
      }
    }
    assertThat(seen).hasSize(n);
    assertThat(seen.values()).allMatch(count -> count == 1);
    assertThat(shadowed).isBetween(1, n - 1);
  }

  /**
   * gRPC {@code ModelInfer} responses are logged too, each once, with the impression their tensors
   * hold: requests of the usual shape are read straight into the feature vectors and their
   * impression is built on the log thread; others (a context input repeated per candidate) go the
   * general way. Both log the same record.
   */
  @Test
  void shouldLogGrpcResponsesWithTheImpressionTheirTensorsHold() throws Exception {
    Map<String, Object> c = config("serve-grpc-log");
    c.put(ServeConfig.GRPC_PORT_CONFIG, "0");
    CtrModel live = ServerTestModels.model("ctr", 4, 44);
    try (ModelPublisher publisher = new ModelPublisher(Map.of("bootstrap.servers", broker.bootstrapServers()),
        (String) c.get(ServeConfig.MODELS_TOPIC_CONFIG))) {
      io.ctrstreams.serving.KafkaTopics.ensure(List.of(new ServeConfig(c)));
      publisher.publish("ctr", 4, ServerTestModels.ctrm(live), Map.of());
    }
    float[] want = ServerTestModels.reference(live, CONTEXT, CANDIDATES);
    int n = 40;
    Map<String, float[]> responses = new HashMap<>();
    long before = System.currentTimeMillis();
    try (ServeApp app = ServeApp.start(new ServeConfig(c), "test")) {
      TestConditions.waitFor(() -> app.models().ready(), TestConditions.DEFAULT_TIMEOUT, "model loaded");
      io.grpc.ManagedChannel channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
          .forAddress("127.0.0.1", app.grpcPort()).usePlaintext().build();
      try {
        for (int i = 0; i < n; i++) {
          String id = "g-" + i;
          io.ctrstreams.server.grpc.v2.ModelInferResponse r = io.grpc.stub.ClientCalls.blockingUnaryCall(channel,
              io.ctrstreams.server.internal.GrpcInference.MODEL_INFER,
              io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS),
              inferRequest(id, i % 4 == 3));
          float[] p = new float[2];
          for (int k = 0; k < 2; k++) {
            p[k] = r.getOutputs(0).getContents().getFp32Contents(k);
          }
          assertThat(p).as(id).containsExactly(want);
          responses.put(id, p);
        }
      } finally {
        channel.shutdownNow().awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
      }
    } // close flushes the log
    Map<String, Integer> seen = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> rec : BrokerTestSupport.readAll(broker.bootstrapServers(),
        (String) c.get(ServeConfig.LOG_TOPIC_CONFIG))) {
      ServedImpression si = Schemas.LABEL_JOIN_EVENT.decode(rec.value(), null).getServed();
      seen.merge(si.getEventId(), 1, Integer::sum);
      assertThat(si.getSource()).isEqualTo("rpc");
      assertThat(si.getModelVersion()).isEqualTo(4L);
      assertThat(si.getTimestampMs()).as("the time the request arrived").isBetween(before, System.currentTimeMillis());
      assertThat(si.getContext()).isEqualTo(Map.of("user", "u-1", "hour", 7.0));
      List<ServedCandidate> cs = si.getCandidates();
      assertThat(cs).hasSize(2);
      for (int k = 0; k < 2; k++) {
        assertThat(cs.get(k).getAdId()).isEqualTo(k == 0 ? "a" : "b");
        assertThat(cs.get(k).getFeatures()).isEqualTo(CANDIDATES.get(k));
        assertThat((float) cs.get(k).getPctr()).isEqualTo(responses.get(si.getEventId())[k]);
      }
    }
    assertThat(seen).hasSize(n);
    assertThat(seen.values()).allMatch(count -> count == 1);
  }

  /** The impression of {@link #impression} as OIP tensors; {@code repeated}: the context given per candidate. */
  private static io.ctrstreams.server.grpc.v2.ModelInferRequest inferRequest(String id, boolean repeated) {
    int ctx = repeated ? 2 : 1;
    io.ctrstreams.server.grpc.v2.InferTensorContents.Builder user = io.ctrstreams.server.grpc.v2.InferTensorContents.newBuilder();
    io.ctrstreams.server.grpc.v2.InferTensorContents.Builder hour = io.ctrstreams.server.grpc.v2.InferTensorContents.newBuilder();
    for (int k = 0; k < ctx; k++) {
      user.addBytesContents(com.google.protobuf.ByteString.copyFromUtf8("u-1"));
      hour.addFp64Contents(7.0);
    }
    return io.ctrstreams.server.grpc.v2.ModelInferRequest.newBuilder().setModelName("ctr").setId(id)
        .addInputs(tensor("user", "BYTES", ctx, user))
        .addInputs(tensor("hour", "FP64", ctx, hour))
        .addInputs(tensor("adId", "BYTES", 2, io.ctrstreams.server.grpc.v2.InferTensorContents.newBuilder()
            .addBytesContents(com.google.protobuf.ByteString.copyFromUtf8("a"))
            .addBytesContents(com.google.protobuf.ByteString.copyFromUtf8("b"))))
        .addInputs(tensor("ad", "BYTES", 2, io.ctrstreams.server.grpc.v2.InferTensorContents.newBuilder()
            .addBytesContents(com.google.protobuf.ByteString.copyFromUtf8("x"))
            .addBytesContents(com.google.protobuf.ByteString.copyFromUtf8("y"))))
        .addInputs(tensor("bid", "FP32", 2, io.ctrstreams.server.grpc.v2.InferTensorContents.newBuilder()
            .addFp32Contents(0.5f).addFp32Contents(1.5f)))
        .build();
  }

  private static io.ctrstreams.server.grpc.v2.ModelInferRequest.InferInputTensor tensor(String name, String type, int n,
      io.ctrstreams.server.grpc.v2.InferTensorContents.Builder contents) {
    return io.ctrstreams.server.grpc.v2.ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype(type)
        .addShape(n).setContents(contents).build();
  }

  static Duration timeout() {
    return TestConditions.DEFAULT_TIMEOUT;
  }
}
