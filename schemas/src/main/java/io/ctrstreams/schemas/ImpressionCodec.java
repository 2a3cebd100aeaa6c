package io.ctrstreams.schemas;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.message.SchemaStore;

/**
 * Decodes and validates {@link Impression} records from Avro single-object encoding or the JSON
 * form (docs/input-json.md), so both wire formats yield the same objects and pass the same
 * checks: non-empty event id, timestamp, 1..{@code maxCandidates} candidates with non-empty ad
 * ids, feature values that are strings or finite numbers. Every failure is a
 * {@link CodecException} naming the offending field and value. Thread-safe.
 *
 * <p>JSON shape:
 *
 * <pre>{@code
 * {"eventId": "e-1", "timestampMs": 1700000000000,
 *  "context": {"C1": "68fd1e64", "I1": 3},
 *  "candidates": [{"adId": "ad-7", "features": {"C3": "fb936136"}}]}
 * }</pre>
 *
 * {@code timestampMs} may be omitted in JSON: the Kafka record timestamp is used then.
 */
public final class ImpressionCodec {
  /** Default cap on candidates per impression. */
  public static final int DEFAULT_MAX_CANDIDATES = 1000;
  /** Default cap on the length of an event id or an ad id, in characters. */
  public static final int DEFAULT_MAX_ID_LENGTH = 1024;
  /**
   * Default cap on a record's size: half the producer's default {@code max.request.size} (1 MiB),
   * so the label join's record, which carries the impression's bytes, always fits.
   */
  public static final int DEFAULT_MAX_RECORD_BYTES = 512 * 1024;

  private final WireFormat format;
  private final int maxCandidates;
  private final int maxIdLength;
  private final int maxRecordBytes;
  private final AvroCodec<Impression> avro;

  /** A codec for one input format with a candidate cap. */
  public ImpressionCodec(WireFormat format, int maxCandidates) {
    this(format, maxCandidates, null);
  }

  /**
   * A codec that also resolves older writer schemas from {@code schemaStore} (may be null:
   * only the current Impression schema is known, other fingerprints are UNKNOWN_SCHEMA).
   */
  public ImpressionCodec(WireFormat format, int maxCandidates, SchemaStore schemaStore) {
    this(format, maxCandidates, DEFAULT_MAX_ID_LENGTH, DEFAULT_MAX_RECORD_BYTES, schemaStore);
  }

  /**
   * A codec with every input limit: records over {@code maxRecordBytes} and ids longer than
   * {@code maxIdLength} characters fail with {@link DecodeFailure#TOO_LARGE}.
   */
  public ImpressionCodec(
      WireFormat format, int maxCandidates, int maxIdLength, int maxRecordBytes, SchemaStore schemaStore) {
    if (maxCandidates < 1) {
      throw new IllegalArgumentException("maxCandidates must be >= 1, found " + maxCandidates);
    }
    if (maxIdLength < 1 || maxRecordBytes < 1) {
      throw new IllegalArgumentException(
          "maxIdLength and maxRecordBytes must be >= 1, found " + maxIdLength + " and " + maxRecordBytes);
    }
    this.format = format;
    this.maxCandidates = maxCandidates;
    this.maxIdLength = maxIdLength;
    this.maxRecordBytes = maxRecordBytes;
    this.avro =
        new AvroCodec<>("Impression", Impression.getEncoder(), Impression.createDecoder(schemaStore));
  }

  /** The configured candidate cap. */
  public int maxCandidates() {
    return maxCandidates;
  }

  /** The configured cap on the characters of an event id or ad id. */
  public int maxIdLength() {
    return maxIdLength;
  }

  /**
   * Decodes and validates one record.
   *
   * @param bytes the record value
   * @param recordTimestampMs the Kafka record timestamp, used when JSON omits timestampMs
   * @throws CodecException with the reason and a message naming the offending value
   */
  public Impression decode(byte[] bytes, long recordTimestampMs) {
    if (bytes == null || bytes.length == 0) {
      throw new CodecException(
          format == WireFormat.AVRO ? DecodeFailure.BAD_AVRO : DecodeFailure.BAD_JSON,
          "impression record has no value (" + (bytes == null ? "null" : "0 bytes") + ")");
    }
    checkSize(bytes);
    Impression imp;
    if (format.resolve(bytes) == WireFormat.AVRO) {
      imp = ImpressionBinary.decode(bytes); // the current schema, decoded directly
      if (imp == null) {
        imp = avro.decode(bytes, null); // older writer schemas, foreign headers: Avro decides
      }
    } else {
      imp = parseJson(bytes, recordTimestampMs);
    }
    validate(imp);
    return imp;
  }

  /**
   * Reads and validates one record without building it: for Avro records of the current schema,
   * calls {@code visitor} with the features as they are read and returns the event id, time and
   * candidate count; returns null for any other record (JSON, older writer schemas, foreign
   * headers), which the caller decodes with {@link #decode}. Fails with the same reasons as
   * {@link #decode} in the same order (corrupt body, event id, timestamp, candidate count,
   * context values, then per candidate its ad id and values). One difference on forged input
   * only: a non-finite value overwritten by a later duplicate key of the same map (Avro's encoder
   * never writes duplicate keys) is reported here, while {@code decode} keeps only the last one.
   *
   * @throws CodecException as {@link #decode}
   */
  public Visited visit(byte[] bytes, ImpressionVisitor visitor) {
    if (bytes == null || bytes.length == 0 || format.resolve(bytes) != WireFormat.AVRO) {
      return null;
    }
    checkSize(bytes);
    ImpressionBinary.Facts f = ImpressionBinary.visit(bytes, maxCandidates, visitor);
    if (f == null) {
      return null;
    }
    checkHeader(f.eventId, f.timestampMs, f.candidates);
    if (f.longestAdId > maxIdLength) {
      throw adIdTooLong(f.eventId, f.longestAdIdCandidate, f.longestAdId);
    }
    if (f.badContextKey != null) {
      JsonFields.finite(f.badContextValue, "context." + f.badContextKey);
    }
    if (f.badCandidate >= 0) {
      if (f.badCandidateKey == null) {
        throw noAdId(f.eventId, f.badCandidate);
      }
      JsonFields.finite(f.badCandidateValue, "candidates[" + f.badCandidate + "].features." + f.badCandidateKey);
    }
    return new Visited(f.eventId, f.timestampMs, f.candidates);
  }

  /**
   * The JSON counterpart of {@link #visit}, an optimistic fast path: streams a JSON record of the
   * usual shape (known fields, each once, a candidate's {@code adId} before its {@code features})
   * into {@code visitor} and returns its event id, time and candidate count; returns null for
   * every other record, valid or not (Avro, unknown fields, any failure), which the caller then
   * {@link #decode}s: what this path accepts, {@code decode} accepts with the same values, and
   * every failure keeps its one reason and message from {@code decode}. Records without {@code
   * timestampMs} take {@code recordTimestampMs} (negative: not visited).
   */
  public Visited visitJson(byte[] bytes, long recordTimestampMs, ImpressionVisitor visitor) {
    if (bytes == null || bytes.length == 0 || bytes.length > maxRecordBytes
        || format.resolve(bytes) != WireFormat.JSON) {
      return null;
    }
    return JsonImpressionVisit.visit(bytes, recordTimestampMs, maxCandidates, maxIdLength, visitor);
  }

  /** What {@link #visit} returns: the record's event id, event time and candidate count. */
  public record Visited(String eventId, long timestampMs, int candidates) {}

  /** Checks what the schema cannot: non-empty ids, candidate count, finite numbers. */
  public void validate(Impression imp) {
    List<Candidate> cands = imp.getCandidates();
    int n = cands == null ? 0 : cands.size();
    checkHeader(imp.getEventId(), imp.getTimestampMs(), n);
    checkFinite(imp.getContext(), "context");
    for (int i = 0; i < n; i++) {
      Candidate c = cands.get(i);
      if (c.getAdId() == null || c.getAdId().isEmpty()) {
        throw noAdId(imp.getEventId(), i);
      }
      if (c.getAdId().length() > maxIdLength) {
        throw adIdTooLong(imp.getEventId(), i, c.getAdId().length());
      }
      checkFinite(c.getFeatures(), "candidates[" + i + "].features");
    }
  }

  /** The record-level checks, in order: event id, timestamp, candidate count. */
  private void checkSize(byte[] bytes) {
    if (bytes.length > maxRecordBytes) {
      throw new CodecException(DecodeFailure.TOO_LARGE,
          "impression record has " + bytes.length + " bytes, max is " + maxRecordBytes);
    }
  }

  private void checkHeader(String eventId, long timestampMs, int candidates) {
    if (eventId == null || eventId.isEmpty()) {
      throw new CodecException(DecodeFailure.MISSING_FIELD, "impression has no eventId");
    }
    if (eventId.length() > maxIdLength) {
      throw new CodecException(DecodeFailure.TOO_LARGE, "impression eventId has " + eventId.length()
          + " characters, max is " + maxIdLength + " (starts with " + eventId.substring(0, Math.min(32, maxIdLength)) + ")");
    }
    if (timestampMs < 0) {
      throw new CodecException(DecodeFailure.MISSING_FIELD,
          "impression " + eventId + " has no valid timestampMs, found " + timestampMs);
    }
    if (candidates == 0) {
      throw new CodecException(DecodeFailure.EMPTY_CANDIDATES, "impression " + eventId + " has no candidates");
    }
    if (candidates > maxCandidates) {
      throw new CodecException(DecodeFailure.TOO_MANY_CANDIDATES,
          "impression " + eventId + " has " + candidates + " candidates, max is " + maxCandidates);
    }
  }

  private CodecException adIdTooLong(String eventId, int candidate, int length) {
    return new CodecException(DecodeFailure.TOO_LARGE, "impression " + eventId + " candidate " + candidate
        + " has an adId of " + length + " characters, max is " + maxIdLength);
  }

  private static CodecException noAdId(String eventId, int candidate) {
    return new CodecException(DecodeFailure.MISSING_FIELD,
        "impression " + eventId + " candidate " + candidate + " has no adId");
  }

  private static void checkFinite(Map<String, Object> features, String where) {
    if (features == null) {
      return;
    }
    for (Map.Entry<String, Object> e : features.entrySet()) {
      if (e.getValue() instanceof Double) {
        JsonFields.finite((Double) e.getValue(), where + "." + e.getKey());
      }
    }
  }

  /** Avro single-object encoding. */
  public byte[] encodeAvro(Impression imp) {
    return avro.encode(imp);
  }

  /** The JSON form (UTF-8), the inverse of the JSON decoding path. */
  public static byte[] encodeJson(Impression imp) {
    return JsonFields.writeObject(256, g -> {
      g.writeStringField("eventId", imp.getEventId());
      g.writeNumberField("timestampMs", imp.getTimestampMs());
      writeFeatures(g, "context", imp.getContext());
      g.writeArrayFieldStart("candidates");
      for (Candidate c : imp.getCandidates()) {
        g.writeStartObject();
        g.writeStringField("adId", c.getAdId());
        writeFeatures(g, "features", c.getFeatures());
        g.writeEndObject();
      }
      g.writeEndArray();
    });
  }

  static void writeFeatures(JsonGenerator g, String field, Map<String, Object> features)
      throws IOException {
    g.writeObjectFieldStart(field);
    for (Map.Entry<String, Object> e : features.entrySet()) {
      Object v = e.getValue();
      if (v instanceof Number) {
        g.writeNumberField(e.getKey(), ((Number) v).doubleValue());
      } else {
        g.writeStringField(e.getKey(), String.valueOf(v));
      }
    }
    g.writeEndObject();
  }

  private Impression parseJson(byte[] bytes, long recordTimestampMs) {
    return JsonFields.parseObject(bytes, "impression", p -> {
      String eventId = null;
      long ts = -1;
      Map<String, Object> context = null;
      List<Candidate> candidates = null;
      java.util.Set<String> others = null;
      for (String name; (name = JsonFields.nextField(p, "impression")) != null; ) {
        switch (name) {
          case "eventId":
            JsonFields.once(p, eventId != null, name);
            eventId = JsonFields.string(p, "eventId");
            break;
          case "timestampMs":
            JsonFields.once(p, ts >= 0, name);
            ts = JsonFields.epochMillis(p, "timestampMs");
            break;
          case "context":
            JsonFields.once(p, context != null, name);
            context = JsonFields.features(p, "context");
            break;
          case "candidates":
            JsonFields.once(p, candidates != null, name);
            candidates = parseCandidates(p);
            break;
          default:
            // unknown fields are skipped: producers may add fields before we read them
            others = JsonFields.once(p, others, name);
            p.skipChildren();
        }
      }
      if (eventId == null) {
        throw new CodecException(DecodeFailure.MISSING_FIELD, "impression has no eventId");
      }
      if (candidates == null) {
        throw new CodecException(
            DecodeFailure.EMPTY_CANDIDATES, "impression " + eventId + " has no candidates field");
      }
      return Impression.newBuilder()
          .setEventId(eventId)
          .setTimestampMs(ts < 0 ? recordTimestampMs : ts)
          .setContext(context == null ? new java.util.HashMap<>() : context)
          .setCandidates(candidates)
          .build();
    });
  }

  private List<Candidate> parseCandidates(JsonParser p) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw JsonFields.wrongType("candidates", "an array of candidate objects", p.currentToken());
    }
    List<Candidate> out = new ArrayList<>();
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (out.size() == maxCandidates) {
        // stop before materializing the rest of a hostile list
        throw new CodecException(
            DecodeFailure.TOO_MANY_CANDIDATES,
            "impression has more than " + maxCandidates + " candidates (max " + maxCandidates + ")");
      }
      String where = "candidates[" + out.size() + "]";
      if (t != JsonToken.START_OBJECT) {
        throw JsonFields.wrongType(where, "an object", t);
      }
      String adId = null;
      Map<String, Object> features = null;
      java.util.Set<String> others = null;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        if ("adId".equals(name)) {
          JsonFields.once(p, adId != null, name);
          adId = JsonFields.string(p, where + ".adId");
        } else if ("features".equals(name)) {
          JsonFields.once(p, features != null, name);
          features = JsonFields.features(p, where + ".features");
        } else {
          others = JsonFields.once(p, others, name);
          p.skipChildren();
        }
      }
      if (adId == null) {
        throw new CodecException(DecodeFailure.MISSING_FIELD, where + " has no adId");
      }
      out.add(new Candidate(adId, features == null ? new java.util.HashMap<>() : features));
    }
    return out;
  }
}
