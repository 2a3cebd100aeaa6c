package io.ctrstreams.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class ImpressionCodecTest {
  private final ImpressionCodec json = new ImpressionCodec(WireFormat.JSON, 3);
  private final ImpressionCodec avro = new ImpressionCodec(WireFormat.AVRO, 3);
  private final ImpressionCodec auto = new ImpressionCodec(WireFormat.AUTO, 3);

  static Impression sample() {
    Map<String, Object> ctx = new HashMap<>();
    ctx.put("C1", "68fd1e64");
    ctx.put("I1", 3.0);
    Map<String, Object> f = new HashMap<>();
    f.put("C3", "fb936136");
    return Impression.newBuilder()
        .setEventId("e-1")
        .setTimestampMs(1_700_000_000_000L)
        .setContext(ctx)
        .setCandidates(List.of(new Candidate("ad-7", f), new Candidate("ad-8", new HashMap<>())))
        .build();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertRejected(ImpressionCodec codec, byte[] bytes, DecodeFailure reason, String messagePart) {
    assertThatThrownBy(() -> codec.decode(bytes, 5L))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining(messagePart)
        .satisfies(e -> assertThat(((CodecException) e).reason()).isEqualTo(reason));
  }

  @Test
  void shouldRoundTripThroughAvroAndJsonIntoEqualObjects() {
    Impression imp = sample();
    assertThat(avro.decode(avro.encodeAvro(imp), 0)).isEqualTo(imp);
    assertThat(json.decode(ImpressionCodec.encodeJson(imp), 0)).isEqualTo(imp);
    assertThat(auto.decode(avro.encodeAvro(imp), 0)).isEqualTo(imp);
    assertThat(auto.decode(ImpressionCodec.encodeJson(imp), 0)).isEqualTo(imp);
  }

  @Test
  void shouldDecodeTheDocumentedJsonExample() {
    Impression imp =
        json.decode(
            utf8(
                "{\"eventId\":\"e-1\",\"timestampMs\":1700000000000,"
                    + "\"context\":{\"C1\":\"68fd1e64\",\"I1\":3},"
                    + "\"candidates\":[{\"adId\":\"ad-7\",\"features\":{\"C3\":\"fb936136\"}},"
                    + "{\"adId\":\"ad-8\"}],\"extra\":{\"ignored\":[1,2]}}"),
            0);
    assertThat(imp).isEqualTo(sample());
  }

  @Test
  void shouldUseRecordTimestampWhenJsonOmitsIt() {
    Impression imp = json.decode(utf8("{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\"}]}"), 42L);
    assertThat(imp.getTimestampMs()).isEqualTo(42L);
    assertThat(imp.getContext()).isEmpty();
  }

  @Test
  void shouldTreatJsonNullFeatureAsMissing() {
    Impression imp =
        json.decode(utf8("{\"eventId\":\"e\",\"context\":{\"C1\":null},\"candidates\":[{\"adId\":\"a\"}]}"), 1L);
    assertThat(imp.getContext()).doesNotContainKey("C1");
  }

  @Test
  void shouldRejectBadJson() {
    assertRejected(json, utf8("{\"eventId\":\"e\","), DecodeFailure.BAD_JSON, "not valid JSON");
    assertRejected(json, utf8("[1,2]"), DecodeFailure.BAD_JSON, "must be a JSON object");
    assertRejected(json, utf8("{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\"}]} x"), DecodeFailure.BAD_JSON, "");
    assertRejected(json, new byte[0], DecodeFailure.BAD_JSON, "0 bytes");
  }

  @Test
  void shouldRejectMissingEventId() {
    assertRejected(json, utf8("{\"candidates\":[{\"adId\":\"a\"}]}"), DecodeFailure.MISSING_FIELD, "no eventId");
    assertRejected(json, utf8("{\"eventId\":\"\",\"candidates\":[{\"adId\":\"a\"}]}"), DecodeFailure.MISSING_FIELD, "eventId must not be empty");
    assertRejected(json, utf8("{\"eventId\":\"e\",\"candidates\":[{\"features\":{}}]}"), DecodeFailure.MISSING_FIELD, "candidates[0] has no adId");
    Impression noId = sample();
    noId.setEventId("");
    assertRejected(avro, avro.encodeAvro(noId), DecodeFailure.MISSING_FIELD, "no eventId");
  }

  @Test
  void shouldRejectWrongTypes() {
    assertRejected(json, utf8("{\"eventId\":7,\"candidates\":[{\"adId\":\"a\"}]}"), DecodeFailure.WRONG_TYPE, "field eventId must be a string, found an integer");
    assertRejected(json, utf8("{\"eventId\":\"e\",\"timestampMs\":\"now\",\"candidates\":[{\"adId\":\"a\"}]}"), DecodeFailure.WRONG_TYPE, "timestampMs");
    assertRejected(json, utf8("{\"eventId\":\"e\",\"context\":{\"C1\":true},\"candidates\":[{\"adId\":\"a\"}]}"), DecodeFailure.WRONG_TYPE, "context.C1 must be a string or a number, found a boolean");
    assertRejected(json, utf8("{\"eventId\":\"e\",\"candidates\":{\"adId\":\"a\"}}"), DecodeFailure.WRONG_TYPE, "candidates must be an array");
    assertRejected(json, utf8("{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\",\"features\":{\"C2\":[1]}}]}"), DecodeFailure.WRONG_TYPE, "candidates[0].features.C2");
  }

  @Test
  void shouldRejectNonFiniteNumbers() {
    assertRejected(json, utf8("{\"eventId\":\"e\",\"context\":{\"I1\":NaN},\"candidates\":[{\"adId\":\"a\"}]}"), DecodeFailure.NON_FINITE, "context.I1 must be finite, found NaN");
    assertRejected(json, utf8("{\"eventId\":\"e\",\"context\":{\"I1\":-Infinity},\"candidates\":[{\"adId\":\"a\"}]}"), DecodeFailure.NON_FINITE, "-Infinity");
    assertRejected(json, utf8("{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\",\"features\":{\"I2\":1e400}}]}"), DecodeFailure.NON_FINITE, "Infinity");
    Impression nan = sample();
    nan.getCandidates().get(0).getFeatures().put("I5", Double.NaN);
    assertRejected(avro, avro.encodeAvro(nan), DecodeFailure.NON_FINITE, "candidates[0].features.I5");
  }

  @Test
  void shouldRejectEmptyAndOversizedCandidateLists() {
    assertRejected(json, utf8("{\"eventId\":\"e\",\"candidates\":[]}"), DecodeFailure.EMPTY_CANDIDATES, "impression e has no candidates");
    assertRejected(json, utf8("{\"eventId\":\"e\"}"), DecodeFailure.EMPTY_CANDIDATES, "no candidates");
    assertRejected(json, utf8("{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\"},{\"adId\":\"b\"},{\"adId\":\"c\"},{\"adId\":\"d\"}]}"), DecodeFailure.TOO_MANY_CANDIDATES, "more than 3");
    Impression big = sample();
    List<Candidate> many = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      many.add(new Candidate("ad" + i, new HashMap<>()));
    }
    big.setCandidates(many);
    assertRejected(avro, avro.encodeAvro(big), DecodeFailure.TOO_MANY_CANDIDATES, "has 4 candidates, max is 3");
    big.setCandidates(new ArrayList<>());
    assertRejected(avro, avro.encodeAvro(big), DecodeFailure.EMPTY_CANDIDATES, "no candidates");
  }

  @Test
  void shouldRejectBadAvro() {
    byte[] ok = avro.encodeAvro(sample());
    byte[] truncated = java.util.Arrays.copyOf(ok, ok.length - 5);
    assertRejected(avro, truncated, DecodeFailure.BAD_AVRO, "corrupt or truncated");
    assertRejected(avro, utf8("{\"eventId\":\"e\"}"), DecodeFailure.BAD_AVRO, "not Avro single-object encoded");
  }

  @Test
  void shouldRejectUnknownSchemaFingerprint() {
    Schema other = SchemaBuilder.record("Other").namespace("x").fields().requiredString("a").endRecord();
    GenericRecord r = new GenericData.Record(other);
    r.put("a", "b");
    byte[] bytes;
    try {
      bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), other).encode(r).array();
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    assertRejected(avro, bytes, DecodeFailure.UNKNOWN_SCHEMA, "unknown schema fingerprint");
    assertRejected(auto, bytes, DecodeFailure.UNKNOWN_SCHEMA, "unknown schema fingerprint");
  }

  @Test
  void shouldRejectNonPositiveCandidateCap() {
    assertThatThrownBy(() -> new ImpressionCodec(WireFormat.JSON, 0))
        .hasMessageContaining("maxCandidates must be >= 1, found 0");
  }

  private static final ImpressionVisitor NO_OP = new ImpressionVisitor() {
    @Override
    public void contextString(String name, byte[] utf8, int off, int len) {}

    @Override
    public void contextNumber(String name, double value) {}

    @Override
    public void candidate(int index, String adId) {}

    @Override
    public void candidateString(int index, String name, byte[] utf8, int off, int len) {}

    @Override
    public void candidateNumber(int index, String name, double value) {}
  };

  @Test
  void shouldRejectIdsAndRecordsJustOverTheLimitsAsTooLarge() {
    ImpressionCodec limited = new ImpressionCodec(WireFormat.AUTO, 3, 8, 600, null);
    Impression atLimit = sample();
    atLimit.setEventId("e".repeat(8));
    atLimit.getCandidates().get(1).setAdId("a".repeat(8));
    byte[] ok = limited.encodeAvro(atLimit);
    assertThat(limited.decode(ok, 5L).getEventId()).isEqualTo("eeeeeeee");
    assertThat(limited.visit(ok, NO_OP).eventId()).isEqualTo("eeeeeeee");

    Impression longEvent = sample();
    longEvent.setEventId("e".repeat(9));
    for (byte[] b : List.of(limited.encodeAvro(longEvent), (ImpressionCodec.encodeJson(longEvent)))) {
      assertRejected(limited, b, DecodeFailure.TOO_LARGE, "eventId has 9 characters, max is 8");
    }
    assertThatThrownBy(() -> limited.visit(limited.encodeAvro(longEvent), NO_OP))
        .isInstanceOf(CodecException.class).hasMessageContaining("eventId has 9 characters");

    Impression longAd = sample();
    longAd.getCandidates().get(1).setAdId("a".repeat(9));
    assertRejected(limited, limited.encodeAvro(longAd), DecodeFailure.TOO_LARGE, "candidate 1 has an adId of 9 characters");
    assertThatThrownBy(() -> limited.visit(limited.encodeAvro(longAd), NO_OP))
        .isInstanceOf(CodecException.class).hasMessageContaining("candidate 1 has an adId of 9 characters");

    byte[] big = utf8("{\"eventId\":\"e\",\"pad\":\"" + "x".repeat(600) + "\",\"candidates\":[{\"adId\":\"a\"}]}");
    assertRejected(limited, big, DecodeFailure.TOO_LARGE, "impression record has " + big.length + " bytes, max is 600");
  }

  @Test
  void shouldRejectAMegabyteEventIdWithTheDefaultLimits() {
    Impression huge = sample();
    huge.setEventId("x".repeat(1_000_000));
    assertRejected(auto, (ImpressionCodec.encodeJson(huge)), DecodeFailure.TOO_LARGE, "max is " + ImpressionCodec.DEFAULT_MAX_RECORD_BYTES);
    Impression longId = sample();
    longId.setEventId("x".repeat(ImpressionCodec.DEFAULT_MAX_ID_LENGTH + 1));
    assertRejected(auto, avro.encodeAvro(longId), DecodeFailure.TOO_LARGE, "max is " + ImpressionCodec.DEFAULT_MAX_ID_LENGTH);
  }

  @Test
  void shouldRejectMalformedUtf8DuplicateKeysNonFiniteTimestampsAndTrailingBytes() {
    byte[] overlong = utf8("{\"eventId\":\"e?\",\"candidates\":[{\"adId\":\"a\"}]}");
    int q = new String(overlong, StandardCharsets.UTF_8).indexOf('?');
    byte[] withOverlong = new byte[overlong.length + 1];
    System.arraycopy(overlong, 0, withOverlong, 0, q);
    withOverlong[q] = (byte) 0xC0; // C0 AF: an overlong '/'
    withOverlong[q + 1] = (byte) 0xAF;
    System.arraycopy(overlong, q + 1, withOverlong, q + 2, overlong.length - q - 1);
    assertRejected(json, withOverlong, DecodeFailure.BAD_JSON, "not valid UTF-8: malformed sequence at byte " + q);
    byte[] surrogate = new byte[overlong.length + 2];
    System.arraycopy(overlong, 0, surrogate, 0, q);
    surrogate[q] = (byte) 0xED; // ED A0 80: an encoded surrogate
    surrogate[q + 1] = (byte) 0xA0;
    surrogate[q + 2] = (byte) 0x80;
    System.arraycopy(overlong, q + 1, surrogate, q + 3, overlong.length - q - 1);
    assertRejected(json, surrogate, DecodeFailure.BAD_JSON, "not valid UTF-8");

    assertRejected(json, utf8("{\"eventId\":\"e\",\"eventId\":\"f\",\"candidates\":[{\"adId\":\"a\"}]}"),
        DecodeFailure.BAD_JSON, "Duplicate field 'eventId'");
    assertRejected(json, utf8("{\"eventId\":\"e\",\"context\":{\"C1\":\"x\",\"C1\":\"y\"},\"candidates\":[{\"adId\":\"a\"}]}"),
        DecodeFailure.BAD_JSON, "Duplicate field 'C1'");
    // duplicates are found by the readers (no per-object set in the parser): every object they read,
    // with null values (missing, but the name is taken) and unknown fields too
    for (String dup : new String[] {
        "{\"eventId\":\"e\",\"context\":{\"C1\":null,\"C1\":\"y\"},\"candidates\":[{\"adId\":\"a\"}]}",
        "{\"eventId\":\"e\",\"context\":{\"C1\":2.5,\"C1\":null},\"candidates\":[{\"adId\":\"a\"}]}",
        "{\"eventId\":\"e\",\"context\":{\"C1\":null,\"C1\":null},\"candidates\":[{\"adId\":\"a\"}]}",
        "{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\",\"features\":{\"C1\":1,\"C2\":2,\"C1\":\"z\"}}]}",
        "{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\",\"adId\":\"b\"}]}",
        "{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\",\"x\":1,\"x\":{}}]}",
        "{\"eventId\":\"e\",\"x\":[1],\"timestampMs\":1,\"x\":2,\"candidates\":[{\"adId\":\"a\"}]}",
        "{\"eventId\":\"e\",\"timestampMs\":1,\"timestampMs\":1,\"candidates\":[{\"adId\":\"a\"}]}",
        "{\"eventId\":\"e\",\"candidates\":[{\"adId\":\"a\"}],\"candidates\":[{\"adId\":\"a\"}]}",
        "{\"eventId\":\"e\",\"context\":{},\"context\":{},\"candidates\":[{\"adId\":\"a\"}]}"}) {
      assertRejected(json, utf8(dup), DecodeFailure.BAD_JSON, "Duplicate field '");
    }
    // distinct names, nulls and repeated names in different objects are fine
    Impression ok = json.decode(utf8("{\"eventId\":\"e\",\"x\":1,\"y\":{\"x\":1},\"context\":{\"C1\":null,\"C2\":null,\"C3\":1},"
        + "\"candidates\":[{\"adId\":\"a\",\"features\":{\"C1\":1},\"x\":1,\"y\":2},{\"adId\":\"b\",\"features\":{\"C1\":1}}]}"), 5L);
    assertThat(ok.getContext()).containsOnlyKeys("C3");
    assertThat(ok.getCandidates()).hasSize(2);
    assertRejected(json, utf8("{\"eventId\":\"e\",\"timestampMs\":NaN,\"candidates\":[{\"adId\":\"a\"}]}"),
        DecodeFailure.NON_FINITE, "timestampMs must be finite");

    byte[] valid = avro.encodeAvro(sample());
    byte[] trailing = java.util.Arrays.copyOf(valid, valid.length + 3);
    assertRejected(avro, trailing, DecodeFailure.BAD_AVRO, "3 trailing bytes after the record");
    Impression badId = sample();
    badId.setEventId("e\u00e9");
    byte[] latin = avro.encodeAvro(badId);
    int at = latin.length - 1;
    while (latin[at] != (byte) 0xC3) {
      at--;
    }
    latin[at + 1] = (byte) 0x28; // C3 28: a lead byte without its continuation
    assertRejected(avro, latin, DecodeFailure.BAD_AVRO, "malformed UTF-8");
  }
}
