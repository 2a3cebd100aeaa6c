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
import io.ctrstreams.schemas.CodecException;
import io.ctrstreams.schemas.DecodeFailure;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.serving.ServedModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

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
  public static final String AD_ID = OipInputs.AD_ID;
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
    List<OipInputs.Input> parsed = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      JsonNode in = inputs.get(i);
      if (!in.isObject()) {
        throw new CodecException(DecodeFailure.WRONG_TYPE, "inputs[" + i + "] must be an object");
      }
      String name = text(in, "name", "inputs[" + i + "].name");
      String datatype = text(in, "datatype", "input " + name + ".datatype");
      parsed.add(new OipInputs.Input(name, datatype, shape(in, name), flatten(in, name)));
    }
    return OipInputs.toImpression(parsed, spec, maxCandidates, id, nowMs);
  }

  /** A JSON value as an input value: String, Double, null, or an {@link OipInputs.Invalid}. */
  private static Object javaValue(JsonNode v) {
    if (v.isNull()) {
      return null;
    }
    if (v.isNumber()) {
      return v.doubleValue();
    }
    if (v.isTextual()) {
      return v.asText();
    }
    return new OipInputs.Invalid(v.getNodeType().toString());
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

  private static long[] shape(JsonNode in, String name) {
    JsonNode shape = in.get("shape");
    if (shape == null || !shape.isArray() || shape.isEmpty()) {
      throw new CodecException(DecodeFailure.MISSING_FIELD, "input " + name + ".shape must be a non-empty array");
    }
    long[] dims = new long[shape.size()];
    for (int i = 0; i < dims.length; i++) {
      JsonNode d = shape.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToLong()) {
        throw new CodecException(DecodeFailure.WRONG_TYPE, "input " + name + ".shape must hold integers, found " + shape);
      }
      dims[i] = d.asLong();
    }
    return dims;
  }

  private static List<Object> flatten(JsonNode in, String name) {
    JsonNode data = in.get("data");
    if (data == null || !data.isArray()) {
      throw new CodecException(DecodeFailure.MISSING_FIELD, "input " + name + ".data must be an array");
    }
    List<Object> out = new ArrayList<>(data.size());
    for (JsonNode v : data) {
      if (v.isArray()) {
        if (v.size() != 1 || v.get(0).isContainerNode()) {
          throw new RequestException(400, RequestException.SHAPE_MISMATCH, "input " + name
              + ".data rows must hold one value each ([n, 1])");
        }
        out.add(javaValue(v.get(0)));
      } else {
        out.add(javaValue(v));
      }
    }
    return out;
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
    g.writeStringField("id", r.eventId());
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
