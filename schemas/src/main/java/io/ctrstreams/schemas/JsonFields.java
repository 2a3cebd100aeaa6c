package io.ctrstreams.schemas;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Streaming JSON helpers shared by the event codecs: read typed field values with error messages
 * that name the field, the expected and the found type.
 */
final class JsonFields {
  /**
   * NaN / Infinity tokens are accepted by the parser on purpose, so that they are rejected by
   * {@link #finite} with reason {@link DecodeFailure#NON_FINITE} rather than as a generic syntax
   * error: the producer learns what is actually wrong.
   */
  static final JsonFactory FACTORY =
      JsonFactory.builder()
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          // {"a":1,"a":2} is ambiguous (which one did the producer mean?): rejected as bad_json,
          // by the readers below rather than StreamReadFeature.STRICT_DUPLICATE_DETECTION, whose
          // per-object HashSet was 74% of the bytes allocated per REST request (JFR, issue 17)
          // a hostile document should not make us build huge strings or deep trees
          .streamReadConstraints(
              StreamReadConstraints.builder().maxNestingDepth(16).maxStringLength(1 << 20).build())
          .build();

  private JsonFields() {}

  static CodecException wrongType(String field, String expected, JsonToken found) {
    return new CodecException(
        DecodeFailure.WRONG_TYPE,
        "field " + field + " must be " + expected + ", found " + describe(found));
  }

  static String describe(JsonToken t) {
    if (t == null) {
      return "end of input";
    }
    switch (t) {
      case START_OBJECT:
        return "an object";
      case START_ARRAY:
        return "an array";
      case VALUE_STRING:
        return "a string";
      case VALUE_NUMBER_INT:
        return "an integer";
      case VALUE_NUMBER_FLOAT:
        return "a number";
      case VALUE_TRUE:
      case VALUE_FALSE:
        return "a boolean";
      case VALUE_NULL:
        return "null";
      default:
        return t.name();
    }
  }

  static void expectObjectStart(JsonParser p, String what) throws IOException {
    JsonToken t = p.nextToken();
    if (t != JsonToken.START_OBJECT) {
      if (t == null) {
        throw new CodecException(DecodeFailure.BAD_JSON, what + " is empty: expected a JSON object");
      }
      throw new CodecException(
          DecodeFailure.BAD_JSON, what + " must be a JSON object, found " + describe(t));
    }
  }

  /** Reads the fields of a top-level object, the parser on its start (see {@link #parseObject}). */
  interface ObjectReader<T> {
    T read(JsonParser p) throws IOException;
  }

  /**
   * Parses {@code bytes} as one JSON object {@code what} with {@code reader} (which reads its fields
   * through {@link #nextField}); syntax and read errors become {@link DecodeFailure#BAD_JSON}.
   */
  static <T> T parseObject(byte[] bytes, String what, ObjectReader<T> reader) {
    int bad = Utf8.firstMalformed(bytes, 0, bytes.length);
    if (bad >= 0) {
      throw new CodecException(DecodeFailure.BAD_JSON, what + " is not valid UTF-8: malformed sequence at byte " + bad);
    }
    try (JsonParser p = FACTORY.createParser(bytes)) {
      expectObjectStart(p, what);
      return reader.read(p);
    } catch (JsonProcessingException e) {
      throw new CodecException(
          DecodeFailure.BAD_JSON, what + " is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new CodecException(DecodeFailure.BAD_JSON, what + " JSON cannot be read: " + e, e);
    }
  }

  /**
   * The name of the next field of the top-level object {@code what}, the parser on its value; null
   * once the object is closed and nothing follows it ({@link #expectEnd}).
   */
  static String nextField(JsonParser p, String what) throws IOException {
    JsonToken t = p.nextToken();
    if (t == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      p.nextToken();
      return name;
    }
    if (t != JsonToken.END_OBJECT) {
      throw new CodecException(DecodeFailure.BAD_JSON, what + " object is not closed");
    }
    expectEnd(p, what);
    return null;
  }

  /** Writes the fields of a top-level object (see {@link #writeObject}). */
  interface ObjectWriter {
    void write(JsonGenerator g) throws IOException;
  }

  /** One JSON object (UTF-8) whose fields {@code writer} writes; {@code size} is a first buffer size. */
  static byte[] writeObject(int size, ObjectWriter writer) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(size);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      writer.write(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Ensures nothing but whitespace follows the top-level object. */
  static void expectEnd(JsonParser p, String what) throws IOException {
    JsonToken t = p.nextToken();
    if (t != null) {
      throw new CodecException(
          DecodeFailure.BAD_JSON, what + " has trailing content after the object: " + describe(t));
    }
  }

  /** Reads the current token as a non-empty string. */
  static String string(JsonParser p, String field) throws IOException {
    JsonToken t = p.currentToken();
    if (t != JsonToken.VALUE_STRING) {
      throw wrongType(field, "a string", t);
    }
    String s = p.getText();
    if (s.isEmpty()) {
      throw new CodecException(DecodeFailure.MISSING_FIELD, "field " + field + " must not be empty");
    }
    return s;
  }

  /** Reads the current token as an integral long (epoch milliseconds). */
  static long epochMillis(JsonParser p, String field) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NUMBER_FLOAT && !Double.isFinite(p.getDoubleValue())) {
      throw new CodecException(DecodeFailure.NON_FINITE, "field " + field + " must be finite, found " + p.getText());
    }
    if (t != JsonToken.VALUE_NUMBER_INT) {
      throw wrongType(field, "an integer (epoch milliseconds)", t);
    }
    if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw new CodecException(
          DecodeFailure.WRONG_TYPE, "field " + field + " is out of range: " + p.getText());
    }
    long v = p.getLongValue();
    if (v < 0) {
      throw new CodecException(
          DecodeFailure.WRONG_TYPE, "field " + field + " must be >= 0, found " + v);
    }
    return v;
  }

  static double finite(double v, String field) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      throw new CodecException(
          DecodeFailure.NON_FINITE, "feature " + field + " must be finite, found " + v);
    }
    return v;
  }

  /**
   * Reads a feature object (current token START_OBJECT expected): name -> string or number;
   * {@code null} means missing and is skipped, anything else is a wrong type.
   */
  static Map<String, Object> features(JsonParser p, String field) throws IOException {
    JsonToken t = p.currentToken();
    if (t != JsonToken.START_OBJECT) {
      throw wrongType(field, "an object of feature name -> string or number", t);
    }
    Map<String, Object> out = new HashMap<>();
    Set<String> nulls = null; // names given as null: missing, but still taken
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      Object previous;
      switch (v) {
        case VALUE_STRING:
          previous = out.put(name, p.getText());
          break;
        case VALUE_NUMBER_INT:
        case VALUE_NUMBER_FLOAT:
          previous = out.put(name, finite(p.getDoubleValue(), field + "." + name));
          break;
        case VALUE_NULL:
          previous = out.get(name);
          nulls = once(p, nulls, name);
          break;
        default:
          throw wrongType(field + "." + name, "a string or a number", v);
      }
      if (previous != null || (nulls != null && v != JsonToken.VALUE_NULL && nulls.contains(name))) {
        throw duplicate(p, name);
      }
    }
    return out;
  }

  /**
   * Adds {@code name} to {@code seen} (created on first use, so objects that only have the names
   * their reader knows allocate nothing) and returns it.
   *
   * @throws JsonParseException when {@code name} was already there
   */
  static Set<String> once(JsonParser p, Set<String> seen, String name) throws JsonParseException {
    if (seen == null) {
      seen = new HashSet<>(4);
    }
    if (!seen.add(name)) {
      throw duplicate(p, name);
    }
    return seen;
  }

  /**
   * Fails when a known field's value was already read ({@code seen}).
   *
   * @throws JsonParseException when it was
   */
  static void once(JsonParser p, boolean seen, String name) throws JsonParseException {
    if (seen) {
      throw duplicate(p, name);
    }
  }

  /** A duplicate name in one object; {@link #parseObject} makes it {@link DecodeFailure#BAD_JSON}. */
  private static JsonParseException duplicate(JsonParser p, String name) {
    return new JsonParseException(p, "Duplicate field '" + name + "'");
  }
}
