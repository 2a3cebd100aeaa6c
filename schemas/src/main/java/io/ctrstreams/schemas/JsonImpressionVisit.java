package io.ctrstreams.schemas;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The JSON half of the direct path ({@link ImpressionCodec#visitJson}): streams one JSON impression
 * into an {@link ImpressionVisitor} without the maps, value strings and candidate objects {@link
 * ImpressionCodec#decode} builds. It is an <b>optimistic</b> path: it handles the valid records
 * producers write (known fields, each once; the {@code adId} of a candidate before its {@code
 * features}) and returns null for everything else, valid or not: unknown fields, another field
 * order, a duplicate name, a wrong type, a non-finite number, an empty or too long id, no or too
 * many candidates, a syntax error, bytes that are not UTF-8. The caller then decodes the record,
 * which accepts it or names the failure exactly as before, so the DLQ reasons and messages have
 * one source. Everything this path accepts, {@code decode} accepts with the same values
 * (property-tested in the topology's {@code ImpressionFeaturesProperties}).
 *
 * <p>Feature names are the parser's canonical {@link String} instances (one per distinct name, as
 * the Avro visit hands out), string values arrive as a {@link CharSequence} view of the parser's
 * buffer, valid only during the call. Duplicate names within a feature object are found with a
 * small hash table of the names seen, reset per object by a generation stamp; that scratch is
 * kept per thread (no allocation per record or object).
 */
final class JsonImpressionVisit {
  /** Names per feature object this path takes; larger objects go to the decoder. */
  private static final int MAX_NAMES = 96;
  private static final int SLOTS = 128;

  /** Per thread: the scratch of one visit at a time (a request path allocates none of it). */
  private static final ThreadLocal<JsonImpressionVisit> SCRATCH = ThreadLocal.withInitial(JsonImpressionVisit::new);

  private int maxCandidates;
  private int maxIdLength;
  private ImpressionVisitor visitor;
  private final String[] seen = new String[SLOTS];
  private final int[] stamps = new int[SLOTS];
  private final Chars chars = new Chars();
  /** Stamps the names of the current feature object (a wrap-around only makes a name look seen: the decoder then takes the record). */
  private int generation;

  /**
   * Visits {@code bytes} (a JSON impression); null when this path does not take the record (see
   * the class comment) or when the record has no {@code timestampMs} and {@code recordTimestampMs}
   * is negative.
   */
  static ImpressionCodec.Visited visit(byte[] bytes, long recordTimestampMs, int maxCandidates, int maxIdLength,
      ImpressionVisitor visitor) {
    if (Utf8.firstMalformed(bytes, 0, bytes.length) >= 0) {
      return null;
    }
    JsonImpressionVisit v = SCRATCH.get();
    v.maxCandidates = maxCandidates;
    v.maxIdLength = maxIdLength;
    v.visitor = visitor;
    try (JsonParser p = JsonFields.FACTORY.createParser(bytes)) {
      return v.impression(p, recordTimestampMs);
    } catch (IOException e) {
      return null; // syntax, limits, duplicates Jackson finds: the decoder names them
    } finally {
      v.visitor = null;
      v.chars.set(null, 0, 0);
    }
  }

  private ImpressionCodec.Visited impression(JsonParser p, long recordTimestampMs) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    String eventId = null;
    long ts = -1;
    boolean context = false;
    int candidates = -1;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      switch (name) {
        case "eventId":
          if (eventId != null || (eventId = id(p, v)) == null) {
            return null;
          }
          break;
        case "timestampMs":
          if (ts >= 0 || v != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
              || (ts = p.getLongValue()) < 0) {
            return null;
          }
          break;
        case "context":
          if (context || v != JsonToken.START_OBJECT || !features(p, -1)) {
            return null;
          }
          context = true;
          break;
        case "candidates":
          if (candidates >= 0 || v != JsonToken.START_ARRAY || (candidates = candidates(p)) < 1) {
            return null;
          }
          break;
        default:
          return null; // unknown fields (skipped by the decoder, which also checks them for duplicates)
      }
    }
    if (t != JsonToken.END_OBJECT || p.nextToken() != null || eventId == null || candidates < 1) {
      return null;
    }
    long time = ts >= 0 ? ts : recordTimestampMs;
    return time < 0 ? null : new ImpressionCodec.Visited(eventId, time, candidates);
  }

  /** A non-empty string id within the length limit, else null. */
  private String id(JsonParser p, JsonToken v) throws IOException {
    if (v != JsonToken.VALUE_STRING) {
      return null;
    }
    String s = p.getText();
    return s.isEmpty() || s.length() > maxIdLength ? null : s;
  }

  /** The candidate count (parser on the array's start, left on its end); -1 when not taken. */
  private int candidates(JsonParser p) throws IOException {
    int n = 0;
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (n == maxCandidates || t != JsonToken.START_OBJECT) {
        return -1;
      }
      String adId = null;
      boolean features = false;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if ("adId".equals(name)) {
          if (adId != null || (adId = id(p, v)) == null) {
            return -1;
          }
          visitor.candidate(n, adId);
        } else if ("features".equals(name)) {
          // the visitor starts a candidate from its ad id: features first go to the decoder
          if (adId == null || features || v != JsonToken.START_OBJECT || !features(p, n)) {
            return -1;
          }
          features = true;
        } else {
          return -1;
        }
      }
      if (adId == null) {
        return -1;
      }
      n++;
    }
    return n;
  }

  /**
   * Visits a feature object (parser on its start, left on its end) of the context ({@code
   * candidate < 0}) or of a candidate; false when not taken.
   */
  private boolean features(JsonParser p, int candidate) throws IOException {
    int gen = ++generation;
    int names = 0;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      if (++names > MAX_NAMES || !firstTime(name, gen)) {
        return false;
      }
      JsonToken v = p.nextToken();
      switch (v) {
        case VALUE_STRING:
          chars.set(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
          if (candidate < 0) {
            visitor.contextText(name, chars);
          } else {
            visitor.candidateText(candidate, name, chars);
          }
          break;
        case VALUE_NUMBER_INT:
        case VALUE_NUMBER_FLOAT:
          double x = p.getDoubleValue();
          if (!Double.isFinite(x)) {
            return false;
          }
          if (candidate < 0) {
            visitor.contextNumber(name, x);
          } else {
            visitor.candidateNumber(candidate, name, x);
          }
          break;
        case VALUE_NULL:
          break; // missing, as in the decoder (the name still counts for duplicates)
        default:
          return false;
      }
    }
    return t == JsonToken.END_OBJECT;
  }

  /** Records {@code name} for the object of generation {@code gen}; false when it was there already. */
  private boolean firstTime(String name, int gen) {
    int h = name.hashCode() & (SLOTS - 1);
    while (stamps[h] == gen) {
      String s = seen[h];
      if (s == name || s.equals(name)) {
        return false;
      }
      h = (h + 1) & (SLOTS - 1);
    }
    stamps[h] = gen;
    seen[h] = name;
    return true;
  }

  /** A reused view of a range of the parser's text buffer. */
  private static final class Chars implements CharSequence {
    private char[] buf;
    private int off;
    private int len;

    void set(char[] buf, int off, int len) {
      this.buf = buf;
      this.off = off;
      this.len = len;
    }

    @Override
    public int length() {
      return len;
    }

    @Override
    public char charAt(int index) {
      if (index < 0 || index >= len) {
        throw new IndexOutOfBoundsException("index " + index + " of " + len);
      }
      return buf[off + index];
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return toString().substring(start, end);
    }

    @Override
    public String toString() {
      return new String(buf, off, len);
    }
  }
}
