package io.ctrstreams.server.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.CodecException;
import io.ctrstreams.schemas.DecodeFailure;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.serving.ServedModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Open Inference Protocol's JSON (REST) form for a CTR model: an inference request carries the
 * model's fields as named input tensors and is turned into the {@link Impression} the topology
 * would score, so both paths share validation and encoding.
 *
 * <p>Request: {@code {"id": "r-1", "inputs": [{"name": "user", "datatype": "BYTES", "shape": [1],
 * "data": ["u-9"]}, {"name": "ad", "datatype": "BYTES", "shape": [3], "data": ["a", "b", "c"]},
 * ...]}}. The batch is the candidates: every CANDIDATE field (and the optional {@code adId} input,
 * BYTES; default ad ids are the row numbers) has shape {@code [n]} or {@code [n, 1]}; a CONTEXT
 * field has shape {@code [1]} or {@code [n]} with one value repeated. A NUMERIC field takes a
 * numeric datatype (FP*, INT*, UINT*) and numbers; a CATEGORICAL field takes BYTES (strings) or
 * numbers (by their decimal string, as in the impression JSON). {@code null} is a missing value;
 * absent fields are missing. Response: one output {@code pctr}, FP32, shape {@code [n]}.
 */
public final class OipJson {
  /** The output tensor's name. */
  public static final String PCTR = "pctr";
  /** The optional input naming the candidates. */
  public static final String AD_ID = "adId";
  private static final Set<String> NUMERIC_TYPES = Set.of("FP16", "FP32", "FP64", "INT8", "INT16", "INT32",
      "INT64", "UINT8", "UINT16", "UINT32", "UINT64");
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  private OipJson() {}

  /** The factory every response generator comes from. */
  public static JsonFactory factory() {
    return MAPPER.getFactory();
  }

  /**
   * Parses an inference request for {@code spec}'s model into an impression (not yet validated by
   * the codec) with event id = the request id, else {@code fallbackId}.
   *
   * @throws CodecException malformed JSON or values (the DLQ's reasons)
   * @throws RequestException an input that is not a field, or shapes that do not fit
   */
  public static Impression parseInfer(byte[] body, ModelSpec spec, int maxCandidates, String fallbackId,
      long nowMs) {
    JsonNode root;
    try (JsonParser p = MAPPER.createParser(body)) {
      root = MAPPER.readTree(p);
      if (p.nextToken() != null) {
        throw new CodecException(DecodeFailure.BAD_JSON, "request body has content after its JSON object");
      }
    } catch (JsonProcessingException e) {
      throw new CodecException(DecodeFailure.BAD_JSON, "request body is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new CodecException(DecodeFailure.BAD_JSON, "request body is not readable JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new CodecException(DecodeFailure.BAD_JSON, "request body must be a JSON object");
    }
    JsonNode idNode = root.get("id");
    if (idNode != null && !idNode.isNull() && !idNode.isTextual()) {
      throw new CodecException(DecodeFailure.WRONG_TYPE, "id must be a string, found " + idNode.getNodeType());
    }
    String id = idNode == null || idNode.isNull() || idNode.asText().isEmpty() ? fallbackId : idNode.asText();
    JsonNode inputs = root.get("inputs");
    if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
      throw new CodecException(DecodeFailure.MISSING_FIELD, "inputs must be a non-empty array of input tensors");
    }
    int k = inputs.size();
    String[] names = new String[k];
    List<List<JsonNode>> values = new ArrayList<>(k);
    int n = -1;
    int[] ordinals = new int[k];
    for (int i = 0; i < k; i++) {
      JsonNode in = inputs.get(i);
      if (!in.isObject()) {
        throw new CodecException(DecodeFailure.WRONG_TYPE, "inputs[" + i + "] must be an object");
      }
      String name = text(in, "name", "inputs[" + i + "].name");
      for (int j = 0; j < i; j++) {
        if (names[j].equals(name)) {
          throw new CodecException(DecodeFailure.BAD_JSON, "input '" + name + "' is given twice");
        }
      }
      names[i] = name;
      String datatype = text(in, "datatype", "input " + name + ".datatype");
      List<JsonNode> data = flatten(in, name);
      long elements = shapeElements(in, name);
      if (elements != data.size()) {
        throw new RequestException(400, RequestException.SHAPE_MISMATCH, "input " + name + " has shape "
            + in.get("shape") + " (" + elements + " values) but " + data.size() + " data values");
      }
      if (data.isEmpty()) {
        throw new RequestException(400, RequestException.SHAPE_MISMATCH, "input " + name + " has no values");
      }
      int ordinal = AD_ID.equals(name) ? -1 : ordinal(spec, name);
      if (ordinal < 0 && !AD_ID.equals(name)) {
        throw new RequestException(400, RequestException.UNKNOWN_INPUT, "input '" + quote(name)
            + "' is not a field of model " + spec.name() + " (inputs: " + inputNames(spec) + ")");
      }
      ordinals[i] = ordinal;
      boolean numeric = ordinal >= 0 && spec.field(ordinal).type() == FieldSpec.Type.NUMERIC;
      boolean context = ordinal >= 0 && spec.field(ordinal).role() == FieldSpec.Role.CONTEXT;
      if (numeric && !NUMERIC_TYPES.contains(datatype)) {
        throw new CodecException(DecodeFailure.WRONG_TYPE, "input " + name
            + " is a numeric field and takes a numeric datatype (FP*, INT*, UINT*), found '" + quote(datatype) + "'");
      }
      if (!numeric && !"BYTES".equals(datatype) && (ordinal < 0 || !NUMERIC_TYPES.contains(datatype))) {
        throw new CodecException(DecodeFailure.WRONG_TYPE, "input " + name + " takes datatype BYTES"
            + (ordinal < 0 ? "" : " or a numeric one") + ", found '" + quote(datatype) + "'");
      }
      if (!context) {
        if (data.size() > maxCandidates) {
          throw new RequestException(413, DecodeFailure.TOO_MANY_CANDIDATES.label(), "input " + name + " has "
              + data.size() + " candidates, max is " + maxCandidates);
        }
        if (n >= 0 && n != data.size()) {
          throw new RequestException(400, RequestException.SHAPE_MISMATCH, "input " + name + " has " + data.size()
              + " candidates but an earlier candidate input has " + n);
        }
        n = data.size();
      }
      values.add(data);
    }
    if (n < 0) {
      n = 1; // only context inputs: one candidate with every candidate field missing
    }
    Map<String, Object> context = new HashMap<>();
    List<Candidate> candidates = new ArrayList<>(n);
    List<Map<String, Object>> features = new ArrayList<>(n);
    for (int c = 0; c < n; c++) {
      features.add(new HashMap<>());
    }
    String[] adIds = null;
    for (int i = 0; i < k; i++) {
      List<JsonNode> data = values.get(i);
      String name = names[i];
      if (ordinals[i] < 0) {
        adIds = new String[n];
        for (int c = 0; c < n; c++) {
          JsonNode v = data.get(c);
          if (!v.isTextual()) {
            throw new CodecException(DecodeFailure.WRONG_TYPE, "input adId[" + c + "] must be a string, found "
                + v.getNodeType());
          }
          adIds[c] = v.asText();
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
          if (!data.get(c).equals(data.get(0))) {
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
    for (int c = 0; c < n; c++) {
      candidates.add(new Candidate(adIds == null ? Integer.toString(c) : adIds[c], features.get(c)));
    }
    return new Impression(id, nowMs, context, candidates);
  }

  /** A feature value as the impression maps hold it (String or Double), null for missing. */
  private static Object value(JsonNode v, FieldSpec f, String where) {
    if (v.isNull()) {
      return null;
    }
    if (v.isNumber()) {
      return v.doubleValue(); // non-finite (1e400) is caught by the codec's validation
    }
    if (v.isTextual()) {
      if (f.type() == FieldSpec.Type.NUMERIC) {
        throw new CodecException(DecodeFailure.WRONG_TYPE, "input " + where + ": numeric field " + f.name()
            + " takes a number, found the string \"" + quote(v.asText()) + "\"");
      }
      return v.asText();
    }
    throw new CodecException(DecodeFailure.WRONG_TYPE, "input " + where + " must be a "
        + (f.type() == FieldSpec.Type.NUMERIC ? "number" : "string or number") + " or null, found " + v.getNodeType());
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

  private static String text(JsonNode in, String key, String where) {
    JsonNode v = in.get(key);
    if (v == null || v.isNull()) {
      throw new CodecException(DecodeFailure.MISSING_FIELD, where + " is missing");
    }
    if (!v.isTextual()) {
      throw new CodecException(DecodeFailure.WRONG_TYPE, where + " must be a string, found " + v.getNodeType());
    }
    return v.asText();
  }

  private static long shapeElements(JsonNode in, String name) {
    JsonNode shape = in.get("shape");
    if (shape == null || !shape.isArray() || shape.isEmpty()) {
      throw new CodecException(DecodeFailure.MISSING_FIELD, "input " + name + ".shape must be a non-empty array");
    }
    if (shape.size() > 2 || (shape.size() == 2 && !(shape.get(1).canConvertToLong() && shape.get(1).asLong() == 1))) {
      throw new RequestException(400, RequestException.SHAPE_MISMATCH, "input " + name
          + " must have shape [n] or [n, 1], found " + shape);
    }
    JsonNode d = shape.get(0);
    if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
      throw new CodecException(DecodeFailure.WRONG_TYPE, "input " + name + ".shape must hold non-negative integers, found " + shape);
    }
    return d.asLong();
  }

  private static List<JsonNode> flatten(JsonNode in, String name) {
    JsonNode data = in.get("data");
    if (data == null || !data.isArray()) {
      throw new CodecException(DecodeFailure.MISSING_FIELD, "input " + name + ".data must be an array");
    }
    List<JsonNode> out = new ArrayList<>(data.size());
    for (JsonNode v : data) {
      if (v.isArray()) {
        if (v.size() != 1 || v.get(0).isContainerNode()) {
          throw new RequestException(400, RequestException.SHAPE_MISMATCH, "input " + name
              + ".data rows must hold one value each ([n, 1])");
        }
        out.add(v.get(0));
      } else {
        out.add(v);
      }
    }
    return out;
  }

  private static String inputNames(ModelSpec spec) {
    StringBuilder sb = new StringBuilder();
    for (FieldSpec f : spec.fields()) {
      sb.append(f.name()).append(", ");
    }
    return sb.append(AD_ID).toString();
  }

  /** The first 64 characters of a client's string, for messages. */
  static String quote(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

  /** Writes {@code {"model_name", "model_version", "id", "outputs": [pctr]}}. */
  public static void writeInferResponse(JsonGenerator g, RequestScorer.Result r) throws IOException {
    ServedModel m = r.model();
    g.writeStartObject();
    g.writeStringField("model_name", m.name());
    g.writeStringField("model_version", Long.toString(m.version()));
    g.writeStringField("id", r.impression().getEventId());
    g.writeArrayFieldStart("outputs");
    g.writeStartObject();
    g.writeStringField("name", PCTR);
    g.writeStringField("datatype", "FP32");
    g.writeArrayFieldStart("shape");
    g.writeNumber(r.size());
    g.writeEndArray();
    g.writeArrayFieldStart("data");
    for (int i = 0; i < r.size(); i++) {
      g.writeNumber(r.pctr(i));
    }
    g.writeEndArray();
    g.writeEndObject();
    g.writeEndArray();
    g.writeEndObject();
  }

  /** Writes the model metadata: inputs = the model's fields (and adId), output pctr. */
  public static void writeMetadata(JsonGenerator g, ServedModel m) throws IOException {
    g.writeStartObject();
    g.writeStringField("name", m.name());
    g.writeArrayFieldStart("versions");
    g.writeString(Long.toString(m.version()));
    g.writeEndArray();
    g.writeStringField("platform", "ctr-streams");
    g.writeArrayFieldStart("inputs");
    for (FieldSpec f : m.model().spec().fields()) {
      tensor(g, f.name(), f.type() == FieldSpec.Type.NUMERIC ? "FP64" : "BYTES",
          f.role() == FieldSpec.Role.CONTEXT ? 1 : -1);
    }
    tensor(g, AD_ID, "BYTES", -1);
    g.writeEndArray();
    g.writeArrayFieldStart("outputs");
    tensor(g, PCTR, "FP32", -1);
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void tensor(JsonGenerator g, String name, String datatype, int dim) throws IOException {
    g.writeStartObject();
    g.writeStringField("name", name);
    g.writeStringField("datatype", datatype);
    g.writeArrayFieldStart("shape");
    g.writeNumber(dim);
    g.writeEndArray();
    g.writeEndObject();
  }
}
