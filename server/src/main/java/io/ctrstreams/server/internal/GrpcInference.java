package io.ctrstreams.server.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.schemas.CodecException;
import io.ctrstreams.schemas.DecodeFailure;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.server.ServerMetrics;
import io.ctrstreams.server.grpc.v2.InferTensorContents;
import io.ctrstreams.server.grpc.v2.ModelInferRequest;
import io.ctrstreams.server.grpc.v2.ModelInferResponse;
import io.ctrstreams.server.grpc.v2.ModelMetadataRequest;
import io.ctrstreams.server.grpc.v2.ModelMetadataResponse;
import io.ctrstreams.server.grpc.v2.ModelReadyRequest;
import io.ctrstreams.server.grpc.v2.ModelReadyResponse;
import io.ctrstreams.server.grpc.v2.ServerLiveRequest;
import io.ctrstreams.server.grpc.v2.ServerLiveResponse;
import io.ctrstreams.server.grpc.v2.ServerMetadataRequest;
import io.ctrstreams.server.grpc.v2.ServerMetadataResponse;
import io.ctrstreams.server.grpc.v2.ServerReadyRequest;
import io.ctrstreams.server.grpc.v2.ServerReadyResponse;
import io.ctrstreams.serving.ServedModel;
import io.ctrstreams.topology.DeadLetters;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Open Inference Protocol's {@code inference.GRPCInferenceService} bound with grpc-java's
 * method descriptors (what generated stubs hold) over the protoc-generated messages: ServerLive,
 * ServerReady, ModelReady, ServerMetadata, ModelMetadata and ModelInfer. Inputs go through {@link
 * OipInputs} and the topology's codec like the REST form's, so both reject the same requests.
 *
 * <p>Status codes: INVALID_ARGUMENT for malformed requests (the description names the input and
 * the reason), RESOURCE_EXHAUSTED over the candidate limit, NOT_FOUND for an unknown model,
 * UNAVAILABLE before a model is loaded, INTERNAL only for a model failing on a valid request.
 */
public final class GrpcInference {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcInference.class);
  /** The protocol's service name. */
  public static final String SERVICE = "inference.GRPCInferenceService";

  /** ServerLive. */
  public static final MethodDescriptor<ServerLiveRequest, ServerLiveResponse> SERVER_LIVE =
      unary("ServerLive", ServerLiveRequest.getDefaultInstance(), ServerLiveResponse.getDefaultInstance());
  /** ServerReady. */
  public static final MethodDescriptor<ServerReadyRequest, ServerReadyResponse> SERVER_READY =
      unary("ServerReady", ServerReadyRequest.getDefaultInstance(), ServerReadyResponse.getDefaultInstance());
  /** ModelReady. */
  public static final MethodDescriptor<ModelReadyRequest, ModelReadyResponse> MODEL_READY =
      unary("ModelReady", ModelReadyRequest.getDefaultInstance(), ModelReadyResponse.getDefaultInstance());
  /** ServerMetadata. */
  public static final MethodDescriptor<ServerMetadataRequest, ServerMetadataResponse> SERVER_METADATA =
      unary("ServerMetadata", ServerMetadataRequest.getDefaultInstance(), ServerMetadataResponse.getDefaultInstance());
  /** ModelMetadata. */
  public static final MethodDescriptor<ModelMetadataRequest, ModelMetadataResponse> MODEL_METADATA =
      unary("ModelMetadata", ModelMetadataRequest.getDefaultInstance(), ModelMetadataResponse.getDefaultInstance());
  /** ModelInfer. */
  public static final MethodDescriptor<ModelInferRequest, ModelInferResponse> MODEL_INFER =
      unary("ModelInfer", ModelInferRequest.getDefaultInstance(), ModelInferResponse.getDefaultInstance());

  private final RequestScorer scorer;
  private final ImpressionCodec codec;
  private final ServerMetrics metrics;
  private final ServedLog log;
  private final String version;
  private final AtomicLong requestIds = new AtomicLong();
  private final ThreadLocal<TensorFeatureReader> readers;
  private final String idPrefix = "grpc-" + Long.toHexString(System.nanoTime()) + "-";

  /** The service scoring with {@code scorer}, validating with {@code codec}. */
  public GrpcInference(RequestScorer scorer, ImpressionCodec codec, ServerMetrics metrics, ServedLog log, String version) {
    this.scorer = scorer;
    this.codec = codec;
    this.metrics = metrics;
    this.log = log;
    this.version = version;
    this.readers = ThreadLocal.withInitial(() -> new TensorFeatureReader(codec.maxCandidates(), codec.maxIdLength()));
  }

  private static <Q extends Message, R extends Message> MethodDescriptor<Q, R> unary(String name, Q req, R resp) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(ProtoUtils.marshaller(req))
        .setResponseMarshaller(ProtoUtils.marshaller(resp))
        .build();
  }

  /** The service definition to add to a server. */
  public ServerServiceDefinition bind() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(SERVER_LIVE, call(SERVER_LIVE, r -> ServerLiveResponse.newBuilder().setLive(true).build()))
        .addMethod(SERVER_READY, call(SERVER_READY,
            r -> ServerReadyResponse.newBuilder().setReady(scorer.models().ready()).build()))
        .addMethod(MODEL_READY, call(MODEL_READY, r -> {
          checkName(r.getName());
          return ModelReadyResponse.newBuilder().setReady(scorer.models().ready()).build();
        }))
        .addMethod(SERVER_METADATA, call(SERVER_METADATA,
            r -> ServerMetadataResponse.newBuilder().setName("ctr-streams").setVersion(version).build()))
        .addMethod(MODEL_METADATA, call(MODEL_METADATA, r -> metadata(model(r.getName()))))
        .addMethod(MODEL_INFER, call(MODEL_INFER, this::infer))
        .build();
  }

  /** A unary handler timing and counting {@code method}, mapping failures to status codes. */
  private <Q, R> io.grpc.ServerCallHandler<Q, R> call(MethodDescriptor<Q, R> method, Function<Q, R> body) {
    String endpoint = "grpc " + method.getBareMethodName();
    boolean scoring = method == (Object) MODEL_INFER;
    return ServerCalls.asyncUnaryCall((Q req, StreamObserver<R> out) -> {
      long t0 = System.nanoTime();
      Status status;
      R resp = null;
      try {
        resp = body.apply(req);
        status = Status.OK;
      } catch (RequestException e) {
        status = status(e.status()).withDescription(e.getMessage() + " (" + e.reason() + ")");
        if (scoring && e.status() != 404 && e.status() != 503) {
          metrics.rejected(ServerMetrics.Protocol.GRPC, e.reason());
        }
      } catch (CodecException e) {
        Status s = e.reason() == DecodeFailure.TOO_MANY_CANDIDATES || e.reason() == DecodeFailure.TOO_LARGE
            ? Status.RESOURCE_EXHAUSTED : Status.INVALID_ARGUMENT;
        status = s.withDescription(e.getMessage() + " (" + e.reason().label() + ")");
        if (scoring) {
          metrics.rejected(ServerMetrics.Protocol.GRPC, e.reason().label());
        }
      } catch (RuntimeException e) {
        LOG.warn("{} failed", endpoint, e);
        status = Status.INTERNAL.withDescription("scoring failed: " + e + " (" + DeadLetters.SCORING_FAILED + ")");
      }
      if (status.isOk()) {
        out.onNext(resp);
        out.onCompleted();
      } else {
        out.onError(new StatusRuntimeException(status));
      }
      metrics.request(endpoint, status.getCode().name(), System.nanoTime() - t0);
    });
  }

  private static Status status(int http) {
    switch (http) {
      case 404:
        return Status.NOT_FOUND;
      case 503:
        return Status.UNAVAILABLE;
      case 413:
        return Status.RESOURCE_EXHAUSTED;
      case 500:
        return Status.INTERNAL;
      default:
        return Status.INVALID_ARGUMENT;
    }
  }

  private void checkName(String name) {
    if (!name.equals(scorer.models().name())) {
      throw new RequestException(404, RequestException.UNKNOWN_MODEL, "unknown model '" + OipJson.quote(name)
          + "'; this server serves '" + scorer.models().name() + "'");
    }
  }

  private ServedModel model(String name) {
    checkName(name);
    ServedModel m = scorer.models().live().current();
    if (m == null) {
      throw new RequestException(503, DeadLetters.NO_MODEL, "model '" + name + "' is not loaded yet");
    }
    return m;
  }

  private static ModelMetadataResponse metadata(ServedModel m) {
    ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder()
        .setName(m.name()).addVersions(Long.toString(m.version())).setPlatform("ctr-streams");
    for (FieldSpec f : m.model().spec().fields()) {
      b.addInputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName(f.name())
          .setDatatype(f.type() == FieldSpec.Type.NUMERIC ? "FP64" : "BYTES")
          .addShape(f.role() == FieldSpec.Role.CONTEXT ? 1 : -1));
    }
    b.addInputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName(OipInputs.AD_ID).setDatatype("BYTES").addShape(-1));
    b.addOutputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName(OipJson.PCTR).setDatatype("FP32").addShape(-1));
    return b.build();
  }

  private ModelInferResponse infer(ModelInferRequest req) {
    ServedModel m = model(req.getModelName());
    if (req.getRawInputContentsCount() > 0) {
      throw new RequestException(400, RequestException.SHAPE_MISMATCH,
          "raw_input_contents is not supported: give each input's values in its contents");
    }
    if (req.getInputsCount() == 0) {
      throw new CodecException(DecodeFailure.MISSING_FIELD, "inputs must hold at least one input tensor");
    }
    String id = req.getId().isEmpty() ? idPrefix + requestIds.incrementAndGet() : req.getId();
    long nowMs = System.currentTimeMillis();
    ModelSpec spec = m.model().spec();
    RequestScorer.Result r = scorer.score(id, readers.get().of(req, id), () -> impression(req, spec, codec, id, nowMs),
        ServerMetrics.Protocol.GRPC);
    if (r == null) {
      throw new RequestException(503, DeadLetters.NO_MODEL, "model '" + m.name() + "' is not loaded yet");
    }
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (int i = 0; i < r.size(); i++) {
      contents.addFp32Contents(r.pctr(i));
    }
    ModelInferResponse resp = ModelInferResponse.newBuilder()
        .setModelName(r.model().name()).setModelVersion(Long.toString(r.model().version())).setId(id)
        .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName(OipJson.PCTR).setDatatype("FP32")
            .addShape(r.size()).setContents(contents))
        .build();
    log.served(r);
    return resp;
  }

  /**
   * The validated impression of {@code req}'s input tensors for {@code spec}'s model: for requests
   * the tensor reader does not take, and for the impression log (on its thread) of those it does.
   */
  static Impression impression(ModelInferRequest req, ModelSpec spec, ImpressionCodec codec, String id, long nowMs) {
    List<OipInputs.Input> inputs = new ArrayList<>(req.getInputsCount());
    for (ModelInferRequest.InferInputTensor t : req.getInputsList()) {
      long[] shape = new long[t.getShapeCount()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = t.getShape(i);
      }
      inputs.add(new OipInputs.Input(t.getName(), t.getDatatype(), shape, values(t)));
    }
    Impression imp = OipInputs.toImpression(inputs, spec, codec.maxCandidates(), id, nowMs);
    codec.validate(imp);
    return imp;
  }

  /** The input's values from the contents field of its datatype. */
  private static List<Object> values(ModelInferRequest.InferInputTensor t) {
    InferTensorContents c = t.getContents();
    String name = t.getName();
    List<Object> out = new ArrayList<>();
    switch (t.getDatatype()) {
      case "BYTES":
        for (ByteString b : c.getBytesContentsList()) {
          out.add(utf8(b, name));
        }
        break;
      case "FP32":
        c.getFp32ContentsList().forEach(v -> out.add((double) v));
        break;
      case "FP64":
        out.addAll(c.getFp64ContentsList());
        break;
      case "INT8":
      case "INT16":
      case "INT32":
        c.getIntContentsList().forEach(v -> out.add((double) v));
        break;
      case "INT64":
        c.getInt64ContentsList().forEach(v -> out.add((double) v));
        break;
      case "UINT8":
      case "UINT16":
      case "UINT32":
        c.getUintContentsList().forEach(v -> out.add((double) Integer.toUnsignedLong(v)));
        break;
      case "UINT64":
        c.getUint64ContentsList().forEach(v -> out.add(Double.parseDouble(Long.toUnsignedString(v))));
        break;
      case "BOOL":
        c.getBoolContentsList().forEach(v -> out.add(new OipInputs.Invalid("a boolean")));
        break;
      default:
        throw new CodecException(DecodeFailure.WRONG_TYPE, "input " + OipJson.quote(name) + " has an unknown datatype '"
            + OipJson.quote(t.getDatatype()) + "'");
    }
    return out;
  }

  private static String utf8(ByteString b, String input) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      throw new CodecException(DecodeFailure.WRONG_TYPE, "input " + OipJson.quote(input) + " holds bytes that are not UTF-8");
    }
  }
}
