package io.ctrstreams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.FeatureEncoder;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.FieldSpec.Role;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.schemas.Candidate;
import io.ctrstreams.schemas.CodecException;
import io.ctrstreams.schemas.DecodeFailure;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The direct path (ImpressionFeatures.visit) gives the scorer exactly what the map
 * path (decode, validate, reject a string in a numeric field of its role as WRONG_TYPE, else
 * FeatureEncoder.encode per role) gives: the same DLQ reason for bad records, an encoding failure
 * in both or neither, else the same event id, time, ad ids and the same encoded role fields, for
 * valid and invalid impressions (empty ids, negative time, too many or no candidates, NaN /
 * infinite numbers, strings in numeric fields, parsable or not, non-ASCII values, unknown keys,
 * fields of the other role, vocabulary hits and misses) and for truncated or bit-flipped records.
 * A single string in a numeric field is WRONG_TYPE naming the feature and the value on every path
 * (Avro visited, Avro decoded, JSON decoded).
 */
class ImpressionFeaturesProperties {
  private static final int MAX_CANDIDATES = 4;
  private static final ImpressionCodec CODEC = new ImpressionCodec(WireFormat.AVRO, MAX_CANDIDATES);
  private static final ImpressionCodec JSON = new ImpressionCodec(WireFormat.JSON, MAX_CANDIDATES);
  private static final ModelSpec SPEC = ModelSpec.builder()
      .name("visit")
      .architecture(Architecture.DNN)
      .field(FieldSpec.categorical("user", Role.CONTEXT, 3, 16, 2))
      .field(FieldSpec.logBucket("hour", Role.CONTEXT, 24, 2))
      .field(FieldSpec.scaled("ctx_num", Role.CONTEXT, 2))
      .field(FieldSpec.categorical("ad", Role.CANDIDATE, 2, 32, 2))
      .field(FieldSpec.scaled("bid", Role.CANDIDATE, 2))
      .field(FieldSpec.categorical("site", Role.CANDIDATE, 0, 8, 2))
      .mlp(4)
      .build();
  private static final FeatureEncoder ENCODER =
      new FeatureEncoder(SPEC, Map.of("user", List.of("u1", "u2", "ü3"), "ad", List.of("a1", "7")));

  /** One instance for every try, as the scoring processor reuses one per model: no state may leak between records. */
  private static final ImpressionFeatures FEATURES = new ImpressionFeatures(ENCODER, MAX_CANDIDATES);

  @Provide
  Arbitrary<Impression> impressions() {
    Arbitrary<String> key = Arbitraries.of("user", "hour", "ctx_num", "ad", "bid", "site", "unknown", "");
    Arbitrary<Object> value = Arbitraries.oneOf(
        Arbitraries.of("u1", "u2", "ü3", "a1", "7", "", " 3.5 ", "2", "abc", "日本", "x\u0000y").map(v -> (Object) v),
        Arbitraries.strings().ascii().ofMaxLength(6).map(v -> (Object) v),
        Arbitraries.doubles().between(-1e6, 1e6).map(v -> (Object) v),
        Arbitraries.of(7.0, 0.0, -1.0, 1e300, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)
            .map(v -> (Object) v));
    Arbitrary<Map<String, Object>> features = Arbitraries.maps(key, value).ofMaxSize(5).map(HashMap::new);
    Arbitrary<String> id = Arbitraries.oneOf(Arbitraries.of("", "e", "ad-1"), Arbitraries.strings().ofMaxLength(4));
    Arbitrary<Candidate> candidate = Combinators.combine(id, features).as(Candidate::new);
    return Combinators.combine(id, Arbitraries.longs().between(-2, 5_000_000_000_000L), features,
            candidate.list().ofMaxSize(MAX_CANDIDATES + 1))
        .as((e, ts, ctx, cs) -> new Impression(e, ts, ctx, new ArrayList<>(cs)));
  }

  @Property(tries = 1500)
  void directPathShouldMatchTheMapPath(@ForAll("impressions") Impression imp) {
    byte[] bytes = CODEC.encodeAvro(imp);
    assertThat(direct(bytes)).isEqualTo(mapPath(bytes));
  }

  @Property(tries = 500)
  void decodedPathShouldMatchTheMapPath(@ForAll("impressions") Impression imp) {
    byte[] bytes = CODEC.encodeAvro(imp);
    assertThat(decoded(bytes)).isEqualTo(mapPath(bytes));
  }

  @Property(tries = 1000)
  void directPathShouldMatchTheMapPathOnDamagedRecords(@ForAll("impressions") Impression imp,
      @ForAll @IntRange(min = 0, max = 10_000) int cut, @ForAll @IntRange(min = 0, max = 100_000) int flip) {
    byte[] bytes = CODEC.encodeAvro(imp);
    byte[] damaged = Arrays.copyOf(bytes, 10 + cut % (bytes.length - 9));
    if (damaged.length > 10 && flip % 2 == 0) {
      int bit = flip % ((damaged.length - 10) * 8);
      damaged[10 + bit / 8] ^= (byte) (1 << (bit % 8));
    }
    Outcome expected = mapPath(damaged);
    if (expected.reason != null && expected.reason.equals("non_finite_dup")) {
      return; // a duplicate key hid a bad value from the map path (forged input; documented)
    }
    assertThat(direct(damaged)).isEqualTo(expected);
  }

  /**
   * The JSON direct path (ImpressionFeatures.visitJson, falling back to decode + encode when it
   * does not take a record, as {@code ctr serve} does) gives what the JSON map path gives, for
   * records written in every shape JSON allows: any field order, duplicate names, unknown fields,
   * null values, escaped and non-ASCII strings, integral numbers, an omitted timestampMs, damaged
   * bytes. Records of the usual shape that the map path accepts are always taken by the direct
   * path (the point of it), and it never takes a record the map path rejects.
   */
  @Property(tries = 1500)
  void jsonDirectPathShouldMatchTheMapPath(@ForAll("impressions") Impression imp,
      @ForAll @IntRange(min = 0, max = 255) int style, @ForAll @IntRange(min = 0, max = 100_000) int damage) {
    String text = json(imp, style);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if ((style & 0x80) != 0 && bytes.length > 1) { // damaged: cut, and a byte flipped
      bytes = Arrays.copyOf(bytes, 1 + damage % (bytes.length - 1));
      if (damage % 3 == 0) {
        int bit = damage % (bytes.length * 8);
        bytes[bit / 8] ^= (byte) (1 << (bit % 8));
      }
    }
    Outcome expected = mapPath(JSON, bytes);
    boolean[] taken = new boolean[1];
    assertThat(jsonDirect(bytes, taken)).isEqualTo(expected);
    if (taken[0]) {
      assertThat(expected.reason == null || expected.reason.equals("encoding")
          || expected.reason.equals(DecodeFailure.WRONG_TYPE.name()))
          .as("the direct path took a record the decoder rejects: %s", expected.reason).isTrue();
    }
    boolean usualShape = (style & (0x01 | 0x02 | 0x04 | 0x08 | 0x80)) == 0;
    if (usualShape && expected.reason == null) {
      assertThat(taken[0]).as("a valid record of the usual shape goes the direct path: %s", text).isTrue();
    }
  }

  /**
   * {@code imp} as JSON in the shape {@code style} picks: 0x01 a candidate's features before its
   * adId, 0x02 an unknown field, 0x04 a duplicate feature name, 0x08 a name given null then a
   * value, 0x10 null-valued extra features, 0x20 ASCII letters escaped as unicode escapes and
   * integral numbers without a fraction, 0x40 no timestampMs (0x80: damaged by the caller).
   */
  private static String json(Impression imp, int style) {
    StringBuilder b = new StringBuilder("{");
    if ((style & 0x02) != 0) {
      b.append("\"source\":{\"x\":[1,2]},");
    }
    b.append("\"eventId\":").append(quote(imp.getEventId(), style));
    if ((style & 0x40) == 0) {
      b.append(",\"timestampMs\":").append(imp.getTimestampMs());
    }
    b.append(",\"context\":");
    features(b, imp.getContext(), style);
    b.append(",\"candidates\":[");
    for (int i = 0; i < imp.getCandidates().size(); i++) {
      Candidate c = imp.getCandidates().get(i);
      b.append(i == 0 ? "{" : ",{");
      if ((style & 0x01) != 0) {
        b.append("\"features\":");
        features(b, c.getFeatures(), style);
        b.append(",\"adId\":").append(quote(c.getAdId(), style));
      } else {
        b.append("\"adId\":").append(quote(c.getAdId(), style)).append(",\"features\":");
        features(b, c.getFeatures(), style);
      }
      b.append('}');
    }
    return b.append("]}").toString();
  }

  private static void features(StringBuilder b, Map<String, Object> f, int style) {
    b.append('{');
    boolean first = true;
    String last = null;
    for (Map.Entry<String, Object> e : f.entrySet()) {
      if ((style & 0x08) != 0 && first) {
        b.append(quote(e.getKey(), style)).append(":null,");
      }
      if (!first) {
        b.append(',');
      }
      first = false;
      b.append(quote(e.getKey(), style)).append(':').append(value(e.getValue(), style));
      last = e.getKey();
    }
    if ((style & 0x10) != 0) {
      b.append(first ? "" : ",").append("\"zz\":null");
      first = false;
    }
    if ((style & 0x04) != 0 && last != null) {
      b.append(',').append(quote(last, style)).append(":\"dup\"");
    }
    b.append('}');
  }

  private static String value(Object v, int style) {
    if (v instanceof Double) {
      double d = (Double) v;
      if (Double.isNaN(d)) {
        return "NaN";
      }
      if (Double.isInfinite(d)) {
        return d > 0 ? "Infinity" : "-Infinity";
      }
      if ((style & 0x20) != 0 && d == Math.rint(d) && Math.abs(d) < 1e15) {
        return Long.toString((long) d);
      }
      return Double.toString(d);
    }
    return quote(String.valueOf(v), style);
  }

  private static String quote(String s, int style) {
    String q = new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s));
    if ((style & 0x20) != 0) {
      q = q.replace("a", "\\u0061").replace("e", "\\u0065");
    }
    return "\"" + q + "\"";
  }

  /** The server's path: the JSON direct path, else decode and encode ({@code taken[0]}: the direct path took it). */
  private static Outcome jsonDirect(byte[] bytes, boolean[] taken) {
    ImpressionCodec.Visited v;
    try {
      v = FEATURES.visitJson(JSON, bytes, 0L);
    } catch (CodecException e) {
      taken[0] = true;
      return Outcome.failed(e.reason().name());
    } catch (RuntimeException e) {
      taken[0] = true;
      return Outcome.failed("encoding");
    }
    if (v == null) {
      return decoded(JSON, bytes);
    }
    taken[0] = true;
    return encodedOutcome(v.eventId(), v.timestampMs(), v.candidates());
  }

  /** What the scorer gets: a DLQ reason, an encoding failure, or ids and role-field encodings. */
  record Outcome(String reason, String eventId, long ts, List<String> adIds, List<String> encoded) {
    static Outcome failed(String reason) {
      return new Outcome(reason, null, 0, null, null);
    }
  }

  private static Outcome mapPath(byte[] bytes) {
    return mapPath(CODEC, bytes);
  }

  private static Outcome mapPath(ImpressionCodec codec, byte[] bytes) {
    Impression imp;
    try {
      imp = codec.decode(bytes, 0L);
    } catch (CodecException e) {
      return Outcome.failed(e.reason().name());
    }
    if (hasStringInNumericField(imp.getContext(), Role.CONTEXT)
        || imp.getCandidates().stream().anyMatch(c -> hasStringInNumericField(c.getFeatures(), Role.CANDIDATE))) {
      return Outcome.failed(DecodeFailure.WRONG_TYPE.name());
    }
    FeatureVector ctx = ENCODER.newFeatureVector();
    List<String> encoded = new ArrayList<>();
    List<String> adIds = new ArrayList<>();
    try {
      ENCODER.encode(imp.getContext(), Role.CONTEXT, ctx);
      encoded.add(roleFields(ctx, Role.CONTEXT));
      for (Candidate c : imp.getCandidates()) {
        FeatureVector v = ENCODER.newFeatureVector();
        ENCODER.encode(c.getFeatures(), Role.CANDIDATE, v);
        encoded.add(roleFields(v, Role.CANDIDATE));
        adIds.add(c.getAdId());
      }
    } catch (RuntimeException e) {
      return Outcome.failed("encoding");
    }
    return new Outcome(null, imp.getEventId(), imp.getTimestampMs(), adIds, encoded);
  }

  private static Outcome direct(byte[] bytes) {
    ImpressionCodec.Visited v;
    try {
      v = FEATURES.visit(CODEC, bytes);
    } catch (CodecException e) {
      if (e.reason() == DecodeFailure.NON_FINITE && mapPathHidesIt(bytes)) {
        return Outcome.failed("non_finite_dup");
      }
      return Outcome.failed(e.reason().name());
    } catch (RuntimeException e) {
      return Outcome.failed("encoding");
    }
    assertThat(v).as("current-schema Avro is always visited").isNotNull();
    return encodedOutcome(v.eventId(), v.timestampMs(), v.candidates());
  }

  /** The decoded path of records the codec cannot visit (JSON, older schemas): ImpressionFeatures.encode. */
  private static Outcome decoded(byte[] bytes) {
    return decoded(CODEC, bytes);
  }

  private static Outcome decoded(ImpressionCodec codec, byte[] bytes) {
    Impression imp;
    try {
      imp = codec.decode(bytes, 0L);
    } catch (CodecException e) {
      return Outcome.failed(e.reason().name());
    }
    int n;
    try {
      n = FEATURES.encode(imp);
    } catch (CodecException e) {
      return Outcome.failed(e.reason().name());
    } catch (RuntimeException e) {
      return Outcome.failed("encoding");
    }
    return encodedOutcome(imp.getEventId(), imp.getTimestampMs(), n);
  }

  private static Outcome encodedOutcome(String eventId, long ts, int n) {
    List<String> encoded = new ArrayList<>();
    encoded.add(roleFields(FEATURES.context(), Role.CONTEXT));
    List<String> adIds = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      encoded.add(roleFields(FEATURES.candidates()[i], Role.CANDIDATE));
      adIds.add(FEATURES.adId(i));
    }
    return new Outcome(null, eventId, ts, adIds, encoded);
  }

  /** The rule, stated independently of the code under test: numeric fields take numbers only. */
  private static boolean hasStringInNumericField(Map<String, Object> features, Role role) {
    for (int i = 0; i < SPEC.fieldCount(); i++) {
      FieldSpec f = SPEC.field(i);
      if (f.role() == role && f.type() == FieldSpec.Type.NUMERIC && features.get(f.name()) instanceof CharSequence) {
        return true;
      }
    }
    return false;
  }

  @Provide
  Arbitrary<String> numericLooking() {
    return Arbitraries.oneOf(
        Arbitraries.of("NaN", "-NaN", "Infinity", "-Infinity", "notanumber", "", " ", "3", "1.5", " 3.5 ", "1e400",
            "0x1p3", "7d", "日本"),
        Arbitraries.doubles().map(Object::toString),
        Arbitraries.strings().ofMaxLength(200));
  }

  /**
   * One string ({@code value}) in one numeric field of an otherwise valid impression: WRONG_TYPE
   * naming the feature and quoting the value (cut to a bounded length) on the visited Avro path,
   * the decoded Avro path and the decoded JSON path alike; never scored.
   */
  @Property(tries = 500)
  void aStringInANumericFieldShouldBeWrongTypeOnEveryPath(@ForAll("numericLooking") String value,
      @ForAll @IntRange(min = 0, max = 2) int where, @ForAll @IntRange(min = 1, max = MAX_CANDIDATES) int n,
      @ForAll @IntRange(min = 0, max = MAX_CANDIDATES - 1) int at) {
    Map<String, Object> ctx = new HashMap<>(Map.of("user", "u1", "hour", 3.0, "ctx_num", 0.5));
    List<Candidate> cs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      cs.add(new Candidate("ad-" + i, new HashMap<>(Map.of("ad", "a1", "bid", 0.25, "site", 7.0))));
    }
    String feature;
    if (where < 2) {
      String field = where == 0 ? "hour" : "ctx_num";
      ctx.put(field, value);
      feature = "context." + field;
    } else {
      int c = at % n;
      cs.get(c).getFeatures().put("bid", value);
      feature = "candidates[" + c + "].features.bid";
    }
    Impression imp = new Impression("e-1", 1L, ctx, cs);
    byte[] avro = CODEC.encodeAvro(imp);
    byte[] json = ImpressionCodec.encodeJson(imp);
    List<CodecException> failures = new ArrayList<>();
    failures.add(wrongTypeOf(() -> FEATURES.visit(CODEC, avro)));
    failures.add(wrongTypeOf(() -> FEATURES.encode(CODEC.decode(avro, 0L))));
    failures.add(wrongTypeOf(() -> FEATURES.encode(JSON.decode(json, 0L))));
    String quoted = value.length() <= FeatureEncoder.MAX_QUOTED_CHARS ? "\"" + value + "\""
        : "\"" + value.substring(0, FeatureEncoder.MAX_QUOTED_CHARS) + "\"... (" + value.length() + " characters)";
    for (CodecException e : failures) {
      assertThat(e.reason()).isEqualTo(DecodeFailure.WRONG_TYPE);
      assertThat(e.getMessage()).isEqualTo("feature " + feature + ": value of numeric field "
          + feature.substring(feature.lastIndexOf('.') + 1) + " must be a number, found the string " + quoted);
    }
    // the same impression with the number in its place is scored (the failure left no state behind)
    if (where < 2) {
      ctx.put(where == 0 ? "hour" : "ctx_num", 1.0);
    } else {
      cs.get(at % n).getFeatures().put("bid", 1.0);
    }
    assertThat(FEATURES.visit(CODEC, CODEC.encodeAvro(imp)).candidates()).isEqualTo(n);
  }

  private static CodecException wrongTypeOf(Runnable path) {
    try {
      path.run();
    } catch (CodecException e) {
      return e;
    }
    throw new AssertionError("a string in a numeric field was not rejected");
  }

  /** True when the map path decodes the record without a NON_FINITE failure (duplicate keys). */
  private static boolean mapPathHidesIt(byte[] bytes) {
    try {
      CODEC.decode(bytes, 0L);
      return true;
    } catch (CodecException e) {
      return e.reason() != DecodeFailure.NON_FINITE;
    }
  }

  private static String roleFields(FeatureVector v, Role role) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < SPEC.fieldCount(); i++) {
      if (SPEC.field(i).role() == role) {
        b.append(SPEC.field(i).name()).append('=').append(v.index()[i]).append('/').append(v.value()[i]).append(' ');
      }
    }
    return b.toString();
  }
}
