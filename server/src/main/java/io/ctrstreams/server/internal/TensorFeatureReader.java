package io.ctrstreams.server.internal;

import com.google.protobuf.ByteString;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.server.grpc.v2.InferTensorContents;
import io.ctrstreams.server.grpc.v2.ModelInferRequest;
import io.ctrstreams.topology.ImpressionFeatures;

/**
 * Reads a gRPC {@code ModelInfer} request of the usual shape straight from its input tensors into
 * the feature vectors ({@link ImpressionFeatures#startColumns}): no boxed value lists, maps or
 * impression object on the transport thread. The gRPC counterpart of the REST form's {@code
 * ImpressionCodec.visitJson}.
 *
 * <p>It is optimistic. It takes a request only when every input is a model field or {@code
 * adId}, each given once, with shape {@code [n]} or {@code [n, 1]} and as many values as the shape
 * says; numeric fields as FP32, FP64, INT8-32 or INT64, categorical fields as BYTES or one of those
 * (by the number's decimal string, as {@link OipInputs} does), {@code adId} as BYTES; context
 * fields with one value; the same {@code n} (1 to the candidate cap) on every candidate input;
 * finite numbers, UTF-8 strings, ad ids of 1 to the id cap bytes, an event id within the id cap.
 * Anything else, valid or not, returns -1 and goes through {@link OipInputs#toImpression} and the
 * codec's validation, so accepted requests score the same and rejected ones keep their status,
 * reason and message from one place ({@code GrpcTensorPathProperties} checks both).
 *
 * <p>One instance per thread: {@link #of} points it at a request, and the string scratch is reused.
 */
final class TensorFeatureReader implements RequestScorer.FeatureReader {
  /** Inputs beyond this many go the general way (a model has a few dozen fields). */
  private static final int MAX_INPUTS = 256;
  private static final int AD_ID = -2;
  private static final int BYTES = 0;
  private static final int FP32 = 1;
  private static final int FP64 = 2;
  private static final int INT32 = 3;
  private static final int INT64 = 4;
  /** The default ad ids: the candidate's row number, as {@link OipInputs} names them. */
  private static final String[] ROW_IDS = new String[1024];

  static {
    for (int i = 0; i < ROW_IDS.length; i++) {
      ROW_IDS[i] = Integer.toString(i);
    }
  }

  private final int maxCandidates;
  private final int maxIdLength;
  private final int[] ordinals = new int[MAX_INPUTS];
  private final int[] kinds = new int[MAX_INPUTS];
  /** Per input of the request read: whether it is a context field (set by the checking pass). */
  private final boolean[] contexts = new boolean[MAX_INPUTS];
  private byte[] scratch = new byte[256];
  private ModelInferRequest req;
  private String eventId;

  TensorFeatureReader(int maxCandidates, int maxIdLength) {
    this.maxCandidates = maxCandidates;
    this.maxIdLength = maxIdLength;
  }

  /** Points this reader at {@code request} with event id {@code id}; returns it. */
  TensorFeatureReader of(ModelInferRequest request, String id) {
    this.req = request;
    this.eventId = id;
    return this;
  }

  @Override
  public int read(ImpressionFeatures f) {
    ModelInferRequest r = req;
    int k = r.getInputsCount();
    if (k == 0 || k > MAX_INPUTS || r.getRawInputContentsCount() > 0 || eventId.isEmpty()
        || eventId.length() > maxIdLength) {
      return -1;
    }
    int n = -1;
    for (int i = 0; i < k; i++) {
      ModelInferRequest.InferInputTensor t = r.getInputs(i);
      String name = t.getName();
      int o = OipInputs.AD_ID.equals(name) ? AD_ID : f.ordinal(name);
      if (o == -1) {
        return -1;
      }
      for (int j = 0; j < i; j++) {
        if (ordinals[j] == o) {
          return -1;
        }
      }
      FieldSpec field = o == AD_ID ? null : f.encoder().spec().field(o);
      int kind = kind(t.getDatatype());
      if (kind < 0 || (field == null ? kind != BYTES : field.type() == FieldSpec.Type.NUMERIC && kind == BYTES)) {
        return -1;
      }
      int count = count(t.getContents(), kind);
      int shapes = t.getShapeCount();
      if ((shapes != 1 && (shapes != 2 || t.getShape(1) != 1)) || t.getShape(0) != count) {
        return -1;
      }
      boolean context = field != null && field.role() == FieldSpec.Role.CONTEXT;
      if (context) {
        if (count != 1) {
          return -1;
        }
      } else {
        if (count < 1 || count > maxCandidates || (n >= 0 && n != count)) {
          return -1;
        }
        n = count;
      }
      ordinals[i] = o;
      kinds[i] = kind;
      contexts[i] = context;
    }
    if (n < 0) {
      return -1;
    }
    f.startColumns(n);
    boolean adIds = false;
    for (int i = 0; i < k; i++) {
      ModelInferRequest.InferInputTensor t = r.getInputs(i);
      InferTensorContents c = t.getContents();
      int o = ordinals[i];
      if (o == AD_ID) {
        for (int j = 0; j < n; j++) {
          ByteString b = c.getBytesContents(j);
          if (b.isEmpty() || b.size() > maxIdLength || !b.isValidUtf8()) {
            return -1;
          }
          f.adId(j, b.toStringUtf8());
        }
        adIds = true;
        continue;
      }
      boolean context = contexts[i];
      int rows = context ? 1 : n;
      for (int j = 0; j < rows; j++) {
        int at = context ? -1 : j;
        switch (kinds[i]) {
          case BYTES: {
            ByteString b = c.getBytesContents(j);
            if (!b.isValidUtf8()) {
              return -1;
            }
            int len = b.size();
            if (len > scratch.length) {
              scratch = new byte[Math.max(len, 2 * scratch.length)];
            }
            b.copyTo(scratch, 0);
            f.string(o, at, scratch, 0, len);
            break;
          }
          case FP32: {
            float v = c.getFp32Contents(j);
            if (!Float.isFinite(v)) {
              return -1;
            }
            f.number(o, at, v);
            break;
          }
          case FP64: {
            double v = c.getFp64Contents(j);
            if (!Double.isFinite(v)) {
              return -1;
            }
            f.number(o, at, v);
            break;
          }
          case INT32:
            f.number(o, at, c.getIntContents(j));
            break;
          default:
            f.number(o, at, (double) c.getInt64Contents(j));
            break;
        }
      }
    }
    if (!adIds) {
      for (int j = 0; j < n; j++) {
        f.adId(j, j < ROW_IDS.length ? ROW_IDS[j] : Integer.toString(j));
      }
    }
    f.finishColumns();
    return n;
  }

  /** The contents kind of {@code datatype}; -1 for those this reader leaves to the general path. */
  private static int kind(String datatype) {
    switch (datatype) {
      case "BYTES":
        return BYTES;
      case "FP32":
        return FP32;
      case "FP64":
        return FP64;
      case "INT8":
      case "INT16":
      case "INT32":
        return INT32;
      case "INT64":
        return INT64;
      default:
        return -1;
    }
  }

  private static int count(InferTensorContents c, int kind) {
    switch (kind) {
      case BYTES:
        return c.getBytesContentsCount();
      case FP32:
        return c.getFp32ContentsCount();
      case FP64:
        return c.getFp64ContentsCount();
      case INT32:
        return c.getIntContentsCount();
      default:
        return c.getInt64ContentsCount();
    }
  }
}
