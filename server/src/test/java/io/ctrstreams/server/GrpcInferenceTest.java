package io.ctrstreams.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.server.grpc.v2.InferTensorContents;
import io.ctrstreams.server.grpc.v2.ModelInferRequest;
import io.ctrstreams.server.grpc.v2.ModelInferResponse;
import io.ctrstreams.server.grpc.v2.ModelMetadataRequest;
import io.ctrstreams.server.grpc.v2.ModelMetadataResponse;
import io.ctrstreams.server.grpc.v2.ModelReadyRequest;
import io.ctrstreams.server.grpc.v2.ServerLiveRequest;
import io.ctrstreams.server.grpc.v2.ServerMetadataRequest;
import io.ctrstreams.server.grpc.v2.ServerReadyRequest;
import io.ctrstreams.server.internal.GrpcInference;
import io.ctrstreams.serving.ModelRegistry;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The GRPCInferenceService over a real Netty channel: every method, scores and status codes. */
class GrpcInferenceTest {
  private ModelRegistry registry;
  private CtrServer server;
  private ManagedChannel channel;
  private final CtrModel model = ServerTestModels.model("ctr", 1, 42);

  @BeforeEach
  void start() throws InterruptedException {
    registry = new ModelRegistry("ctr");
    server = CtrServer.builder(ServedModels.of(registry), new ServerMetrics(new PrometheusRegistry()))
        .host("127.0.0.1").port(0).grpcPort(0).threads(1).maxCandidates(8).build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    server.close();
  }

  private <Q, R> R call(MethodDescriptor<Q, R> m, Q req) {
    return ClientCalls.blockingUnaryCall(channel, m, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), req);
  }

  private Status.Code codeOf(MethodDescriptor<ModelInferRequest, ModelInferResponse> m, ModelInferRequest req) {
    try {
      call(m, req);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  private static ModelInferRequest.InferInputTensor bytes(String name, String... values) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (String v : values) {
      c.addBytesContents(ByteString.copyFrom(v, StandardCharsets.UTF_8));
    }
    return ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype("BYTES")
        .addShape(values.length).setContents(c).build();
  }

  private static ModelInferRequest.InferInputTensor fp64(String name, double... values) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (double v : values) {
      c.addFp64Contents(v);
    }
    return ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype("FP64")
        .addShape(values.length).setContents(c).build();
  }

  private static ModelInferRequest request(int n) {
    String[] ads = new String[n];
    double[] bids = new double[n];
    for (int i = 0; i < n; i++) {
      ads[i] = "a" + (i * 7);
      bids[i] = 0.25 * i;
    }
    return ModelInferRequest.newBuilder().setModelName("ctr").setId("r-1")
        .addInputs(bytes("user", "u-3")).addInputs(fp64("hour", 13)).addInputs(bytes("ad", ads))
        .addInputs(fp64("bid", bids)).build();
  }

  @Test
  void shouldAnswerHealthAndMetadataAndReadiness() {
    assertThat(call(GrpcInference.SERVER_LIVE, ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(call(GrpcInference.SERVER_READY, ServerReadyRequest.getDefaultInstance()).getReady()).isFalse();
    assertThat(call(GrpcInference.MODEL_READY, ModelReadyRequest.newBuilder().setName("ctr").build()).getReady()).isFalse();
    assertThatThrownBy(() -> call(GrpcInference.MODEL_METADATA, ModelMetadataRequest.newBuilder().setName("ctr").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(codeOf(GrpcInference.MODEL_INFER, request(2))).isEqualTo(Status.Code.UNAVAILABLE);
    ServerTestModels.offer(registry, model, 4);
    assertThat(call(GrpcInference.SERVER_READY, ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
    assertThat(call(GrpcInference.MODEL_READY, ModelReadyRequest.newBuilder().setName("ctr").build()).getReady()).isTrue();
    assertThatThrownBy(() -> call(GrpcInference.MODEL_READY, ModelReadyRequest.newBuilder().setName("x").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    assertThat(call(GrpcInference.SERVER_METADATA, ServerMetadataRequest.getDefaultInstance()).getName()).isEqualTo("ctr-streams");
    ModelMetadataResponse meta = call(GrpcInference.MODEL_METADATA, ModelMetadataRequest.newBuilder().setName("ctr").build());
    assertThat(meta.getVersionsList()).containsExactly("4");
    List<String> inputs = new ArrayList<>();
    meta.getInputsList().forEach(t -> inputs.add(t.getName() + ":" + t.getDatatype() + ":" + t.getShape(0)));
    assertThat(inputs).containsExactly("user:BYTES:1", "hour:FP64:1", "ad:BYTES:-1", "bid:FP64:-1", "adId:BYTES:-1");
    assertThat(meta.getOutputs(0).getName()).isEqualTo("pctr");
  }

  @Test
  void shouldInferAsTheModelScorerDoes() {
    ServerTestModels.offer(registry, model, 4);
    ModelInferResponse r = call(GrpcInference.MODEL_INFER, request(5));
    assertThat(r.getModelName()).isEqualTo("ctr");
    assertThat(r.getModelVersion()).isEqualTo("4");
    assertThat(r.getId()).isEqualTo("r-1");
    assertThat(r.getOutputs(0).getName()).isEqualTo("pctr");
    assertThat(r.getOutputs(0).getShapeList()).containsExactly(5L);
    List<Map<String, ?>> cands = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Map<String, Object> f = new HashMap<>();
      f.put("ad", "a" + (i * 7));
      f.put("bid", 0.25 * i);
      cands.add(f);
    }
    float[] want = ServerTestModels.reference(model, Map.of("user", "u-3", "hour", 13.0), cands);
    for (int i = 0; i < 5; i++) {
      assertThat(r.getOutputs(0).getContents().getFp32Contents(i)).isEqualTo(want[i]);
    }
  }

  @Test
  void shouldAnswerClientMistakesWithInvalidArgumentNotFoundAndResourceExhausted() {
    ServerTestModels.offer(registry, model, 4);
    assertThat(codeOf(GrpcInference.MODEL_INFER, request(2).toBuilder().setModelName("other").build()))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(codeOf(GrpcInference.MODEL_INFER, request(9))).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(codeOf(GrpcInference.MODEL_INFER, ModelInferRequest.newBuilder().setModelName("ctr").build()))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(codeOf(GrpcInference.MODEL_INFER, ModelInferRequest.newBuilder().setModelName("ctr")
        .addInputs(bytes("colour", "x")).build())).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(codeOf(GrpcInference.MODEL_INFER, ModelInferRequest.newBuilder().setModelName("ctr")
        .addInputs(bytes("bid", "1.5")).build())).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(codeOf(GrpcInference.MODEL_INFER, ModelInferRequest.newBuilder().setModelName("ctr")
        .addInputs(fp64("bid", Double.POSITIVE_INFINITY)).build())).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(codeOf(GrpcInference.MODEL_INFER, ModelInferRequest.newBuilder().setModelName("ctr")
        .addInputs(bytes("ad", "a", "b")).addInputs(fp64("bid", 1)).build())).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(codeOf(GrpcInference.MODEL_INFER, ModelInferRequest.newBuilder().setModelName("ctr")
        .addInputs(bytes("ad", "a").toBuilder().setContents(InferTensorContents.newBuilder()
            .addBytesContents(ByteString.copyFrom(new byte[] {(byte) 0xC0, (byte) 0xAF})))).build()))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    StatusRuntimeException e = (StatusRuntimeException) org.assertj.core.api.Assertions.catchThrowable(
        () -> call(GrpcInference.MODEL_INFER, ModelInferRequest.newBuilder().setModelName("ctr")
            .addInputs(fp64("hour", 13).toBuilder().setDatatype("BYTES")).build()));
    assertThat(e.getStatus().getDescription()).contains("hour", "wrong_type");
    // still serving
    assertThat(codeOf(GrpcInference.MODEL_INFER, request(3))).isEqualTo(Status.Code.OK);
  }
}
