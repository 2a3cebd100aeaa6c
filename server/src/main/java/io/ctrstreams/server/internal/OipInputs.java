package io.ctrstreams.server.internal;

import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.CodecException;
import io.ctrstreams.schemas.DecodeFailure;
import io.ctrstreams.schemas.Impression;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An Open Inference Protocol request's input tensors for a CTR model, from JSON (REST) or protobuf
 * (gRPC), turned into the {@link Impression} the topology would score, so both protocols and the
 * topic share validation and encoding.
 *
 * <p>The batch is the candidates: every CANDIDATE field (and the optional {@code adId} input,
 * BYTES; default ad ids are the row numbers) has shape {@code [n]} or {@code [n, 1]}; a CONTEXT
 * field has shape {@code [1]} or {@code [n]} with one value repeated. A NUMERIC field takes a
 * numeric datatype (FP*, INT*, UINT*) and numbers; a CATEGORICAL field takes BYTES (strings) or
 * numbers (by their decimal string, as in the impression JSON). {@code null} is a missing value;
 * absent fields are missing. Every failure names the input.
 */
public final class OipInputs {
  /** The optional input naming the candidates. */
  public static final String AD_ID = "adId";
  /** The numeric datatypes of the protocol. */
  public static final Set<String> NUMERIC_TYPES = Set.of("FP16", "FP32", "FP64", "INT8", "INT16", "INT32",
      "INT64", "UINT8", "UINT16", "UINT32", "UINT64");

  private OipInputs() {}

  /**
   * One input tensor, flattened row-major.
   *
   * @param data String, Double, null (missing) or {@link Invalid} per element
   */
  public record Input(String name, String datatype, long[] shape, List<Object> data) {}

  /** A value of a type no feature takes (boolean, object, array), named for the message. */
  public record Invalid(String type) {}

  /**
   * The impression of {@code inputs} for {@code spec}'s model, event id {@code id}.
   *
   * @throws CodecException wrong datatypes or values (the DLQ's reasons)
   * @throws RequestException an input that is not a field, shapes that do not fit, too many candidates
   */
  public static Impression toImpression(List<Input> inputs, ModelSpec spec, int maxCandidates, String id, long nowMs) {
    int k = inputs.size();
    int[] ordinals = new int[k];
    int n = -1;
    for (int i = 0; i < k; i++) {
      Input in = inputs.get(i);
      String name = in.name();
      for (int j = 0; j < i; j++) {
        if (inputs.get(j).name().equals(name)) {
          throw new CodecException(DecodeFailure.BAD_JSON, "input '" + OipJson.quote(name) + "' is given twice");
        }
      }
      boolean isAdId = AD_ID.equals(name);
      int ordinal = isAdId ? -1 : ordinal(spec, name);
      if (ordinal < 0 && !isAdId) {
        throw new RequestException(400, RequestException.UNKNOWN_INPUT, "input '" + OipJson.quote(name)
            + "' is not a field of model " + spec.name() + " (inputs: " + inputNames(spec) + ")");
      }
      ordinals[i] = ordinal;
      boolean numeric = ordinal >= 0 && spec.field(ordinal).type() == FieldSpec.Type.NUMERIC;
      boolean context = ordinal >= 0 && spec.field(ordinal).role() == FieldSpec.Role.CONTEXT;
      String datatype = in.datatype();
      if (numeric && !NUMERIC_TYPES.contains(datatype)) {
        throw new CodecException(DecodeFailure.WRONG_TYPE, "input " + name
            + " is a numeric field and takes a numeric datatype (FP*, INT*, UINT*), found '" + OipJson.quote(datatype) + "'");
      }
      if (!numeric && !"BYTES".equals(datatype) && (isAdId || !NUMERIC_TYPES.contains(datatype))) {
        throw new CodecException(DecodeFailure.WRONG_TYPE, "input " + name + " takes datatype BYTES"
            + (isAdId ? "" : " or a numeric one") + ", found '" + OipJson.quote(datatype) + "'");
      }
      // shapes after names and datatypes: a value in the wrong contents field is a wrong datatype
      long elements = elements(in);
      if (elements != in.data().size()) {
        throw new RequestException(400, RequestException.SHAPE_MISMATCH, "input " + name + " has shape "
            + java.util.Arrays.toString(in.shape()) + " (" + elements + " values) but " + in.data().size() + " data values");
      }
      if (in.data().isEmpty()) {
        throw new RequestException(400, RequestException.SHAPE_MISMATCH, "input " + name + " has no values");
      }
      if (!context) {
        int size = in.data().size();
        if (size > maxCandidates) {
          throw new RequestException(413, DecodeFailure.TOO_MANY_CANDIDATES.label(), "input " + name + " has "
              + size + " candidates, max is " + maxCandidates);
        }
        if (n >= 0 && n != size) {
          throw new RequestException(400, RequestException.SHAPE_MISMATCH, "input " + name + " has " + size
              + " candidates but an earlier candidate input has " + n);
        }
        n = size;
      }
    }
    if (n < 0) {
      n = 1; // only context inputs: one candidate with every candidate field missing
    }
    Map<String, Object> context = new HashMap<>();
    List<Map<String, Object>> features = new ArrayList<>(n);
    for (int c = 0; c < n; c++) {
      features.add(new HashMap<>());
    }
    String[] adIds = null;
    for (int i = 0; i < k; i++) {
      Input in = inputs.get(i);
      List<Object> data = in.data();
      String name = in.name();
      if (ordinals[i] < 0) {
        adIds = new String[n];
        for (int c = 0; c < n; c++) {
          if (!(data.get(c) instanceof String s)) {
            throw new CodecException(DecodeFailure.WRONG_TYPE, "input adId[" + c + "] must be a string, found "
                + typeOf(data.get(c)));
          }
          adIds[c] = s;
        }
        continue;
      }
      FieldSpec f = spec.field(ordinals[i]);
      if (f.role() == FieldSpec.Role.CONTEXT) {
        if (data.size() != 1 && data.size() != n) {
          throw new RequestException(400, RequestException.SHAPE_MISMATCH, "context input " + name
              + " must have 1 value (or one per candidate, all equal), found " + data.size());
        }
        for (int c = 1; c < data.size(); c++) {
          if (!Objects.equals(data.get(c), data.get(0))) {
            throw new RequestException(400, RequestException.SHAPE_MISMATCH, "context input " + name
                + " is shared by every candidate: rows 0 and " + c + " differ");
          }
        }
        Object v = value(data.get(0), f, name + "[0]");
        if (v != null) {
          context.put(name, v);
        }
      } else {
        for (int c = 0; c < n; c++) {
          Object v = value(data.get(c), f, name + "[" + c + "]");
          if (v != null) {
            features.get(c).put(name, v);
          }
        }
      }
    }
    List<Candidate> candidates = new ArrayList<>(n);
    for (int c = 0; c < n; c++) {
      candidates.add(new Candidate(adIds == null ? Integer.toString(c) : adIds[c], features.get(c)));
    }
    return new Impression(id, nowMs, context, candidates);
  }

  /** The element count the shape declares: {@code [n]} or {@code [n, 1]}. */
  private static long elements(Input in) {
    long[] shape = in.shape();
    if (shape.length == 0 || shape.length > 2 || (shape.length == 2 && shape[1] != 1)) {
      throw new RequestException(400, RequestException.SHAPE_MISMATCH, "input " + in.name()
          + " must have shape [n] or [n, 1], found " + java.util.Arrays.toString(shape));
    }
    if (shape[0] < 0) {
      throw new RequestException(400, RequestException.SHAPE_MISMATCH, "input " + in.name()
          + " has a negative dimension: " + java.util.Arrays.toString(shape));
    }
    return shape[0];
  }

  /** A feature value as the impression maps hold it (String or Double), null for missing. */
  private static Object value(Object v, FieldSpec f, String where) {
    if (v == null || v instanceof Double) {
      return v; // non-finite values are caught by the codec's validation
    }
    if (v instanceof String s) {
      if (f.type() == FieldSpec.Type.NUMERIC) {
        throw new CodecException(DecodeFailure.WRONG_TYPE, "input " + where + ": numeric field " + f.name()
            + " takes a number, found the string \"" + OipJson.quote(s) + "\"");
      }
      return s;
    }
    throw new CodecException(DecodeFailure.WRONG_TYPE, "input " + where + " must be a "
        + (f.type() == FieldSpec.Type.NUMERIC ? "number" : "string or number") + " or null, found " + typeOf(v));
  }

  private static String typeOf(Object v) {
    return v == null ? "null" : v instanceof Invalid i ? i.type() : v instanceof Double ? "a number" : "a string";
  }

  /** The field's ordinal, -1 when the model has no such field. */
  private static int ordinal(ModelSpec spec, String name) {
    List<FieldSpec> fields = spec.fields();
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  private static String inputNames(ModelSpec spec) {
    StringBuilder sb = new StringBuilder();
    for (FieldSpec f : spec.fields()) {
      sb.append(f.name()).append(", ");
    }
    return sb.append(AD_ID).toString();
  }
}
