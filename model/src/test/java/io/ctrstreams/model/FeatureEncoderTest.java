package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeatureEncoderTest {
  private final CtrModel model = CtrModel.random(TestSpecs.small().build(), 7);
  private final FeatureEncoder enc = model.encoder();

  @Test
  void shouldMapVocabularyHitsToTheirIds() {
    FeatureVector v = enc.newFeatureVector();
    enc.encode(Map.of("site", "site:2", "ad", "x"), v);
    assertThat(v.index()[0]).isEqualTo(2);
    assertThat(v.value()[0]).isEqualTo(1f);
    assertThat(model.vocabulary("site")).containsExactly("site:0", "site:1", "site:2");
  }

  @Test
  void shouldHashUnknownAndMissingCategoriesIntoOovBuckets() {
    FeatureVector v = enc.newFeatureVector();
    enc.encode(Map.of("site", "never-seen", "ad", "ad-42"), v);
    int site = v.index()[0];
    assertThat(site).isBetween(3, 3 + 4 - 1);
    assertThat(site).isEqualTo(3 + FeatureHash.bucket("never-seen", 4));
    assertThat(v.index()[2]).isEqualTo(FeatureHash.bucket("ad-42", 16));
    enc.encode(Map.of(), v);
    assertThat(v.index()[0]).as("missing hashes like the empty string").isEqualTo(3 + FeatureHash.bucket("", 4));
    assertThat(v.value()[3]).as("missing SCALED -> 0").isZero();
  }

  @Test
  void shouldHashLikeUtf8Bytes() {
    for (String s : List.of("", "a", "68fd1e64", "é", "日本", "😀x", "\uD800x")) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      assertThat(FeatureHash.hash64(s)).as(s).isEqualTo(FeatureHash.hash64(b, 0, b.length));
      assertThat(FeatureHash.hash64(new StringBuilder(s))).isEqualTo(FeatureHash.hash64(s));
    }
    assertThat(FeatureHash.hash64("a")).isNotEqualTo(FeatureHash.hash64("b"));
  }

  @Test
  void shouldEncodeNumbersStringsAndNan() {
    FeatureVector v = enc.newFeatureVector();
    Map<String, Object> raw = new HashMap<>();
    raw.put("age", "10");
    raw.put("bid", 2.5);
    enc.encode(raw, v);
    assertThat(v.index()[1]).isEqualTo(FeatureEncoder.logBucket(10, 20)).isEqualTo(5);
    assertThat(v.value()[3]).isEqualTo(2.5f);
    enc.encodeField(3, Double.NaN, v);
    assertThat(v.value()[3]).as("NaN is missing").isZero();
    enc.encodeField(1, Double.NaN, v);
    assertThat(v.index()[1]).isZero();
    enc.encodeField(1, "", v);
    assertThat(v.index()[1]).isZero();
    enc.encodeField(1, 1e30, v);
    assertThat(v.index()[1]).as("clipped to the last bucket").isEqualTo(19);
  }

  @Test
  void shouldEncodeOnlyTheRequestedRole() {
    FeatureVector v = enc.newFeatureVector();
    v.set(2, 9, 1f);
    enc.encode(Map.of("site", "site:1"), FieldSpec.Role.CONTEXT, v);
    assertThat(v.index()[0]).isEqualTo(1);
    assertThat(v.index()[2]).as("candidate field untouched").isEqualTo(9);
  }

  @Test
  void typedEventsShouldGiveNumericFieldsNumbersOnlyAndEncodeEverythingElseAsEncodeDoes() {
    for (String s : List.of("NaN", "notanumber", "3", "", "Infinity", " 2.5 ")) {
      for (String field : List.of("age", "bid")) {
        Map<String, Object> raw = new HashMap<>(Map.of("site", "site:1", "age", 7, "bid", 0.5));
        raw.put(field, s);
        FeatureVector v = enc.newFeatureVector();
        assertThatThrownBy(() -> enc.encodeTyped(raw, null, v))
            .isInstanceOf(FeatureTypeException.class)
            .hasMessage("value of numeric field " + field + " must be a number, found the string \"" + s + "\"")
            .extracting(e -> ((FeatureTypeException) e).field()).isEqualTo(field);
        assertThatThrownBy(() -> enc.encodeTypedString(enc.fieldOrdinal(field), s, v))
            .isInstanceOf(FeatureTypeException.class);
      }
    }
    String big = "1".repeat(FeatureEncoder.MAX_QUOTED_CHARS + 1);
    assertThatThrownBy(() -> enc.encodeTypedString(1, big, enc.newFeatureVector()))
        .hasMessage("value of numeric field age must be a number, found the string \""
            + big.substring(0, FeatureEncoder.MAX_QUOTED_CHARS) + "\"... (65 characters)");
    // numbers, missing values and categorical strings or numbers: exactly what encode gives
    Map<String, Object> ok = new HashMap<>();
    ok.put("site", 1005.0);
    ok.put("ad", "ad-3");
    ok.put("age", 10L);
    ok.put("bid", Double.NaN);
    for (FieldSpec.Role role : new FieldSpec.Role[] {null, FieldSpec.Role.CONTEXT, FieldSpec.Role.CANDIDATE}) {
      FeatureVector want = enc.newFeatureVector();
      FeatureVector got = enc.newFeatureVector();
      enc.encode(ok, role, want);
      enc.encodeTyped(ok, role, got);
      assertThat(got.toString()).as("role %s", role).isEqualTo(want.toString());
    }
    FeatureVector a = enc.newFeatureVector();
    FeatureVector b = enc.newFeatureVector();
    enc.encodeField(0, "site:2", a);
    enc.encodeTypedString(0, "site:2", b);
    assertThat(b.toString()).isEqualTo(a.toString());
    // the lenient encode (text sources: TSV) still parses numeric strings
    FeatureVector lenient = enc.encode(Map.of("age", "3"), enc.newFeatureVector());
    assertThat(lenient.index()[1]).isEqualTo(FeatureEncoder.logBucket(3, 20));
  }

  @Test
  void shouldRejectBadInputsNamingTheValue() {
    FeatureVector v = enc.newFeatureVector();
    assertThatThrownBy(() -> enc.encodeField(3, Double.POSITIVE_INFINITY, v))
        .isInstanceOf(CtrModelException.class)
        .hasMessage("value of numeric field bid must be finite, found Infinity");
    assertThatThrownBy(() -> enc.encodeField(1, "ten", v))
        .hasMessage("value of numeric field age must be a number, found \"ten\"");
    assertThatThrownBy(() -> enc.encodeField(0, 1.0, v))
        .hasMessageContaining("field site is categorical");
    assertThatThrownBy(() -> enc.encodeField(9, "x", v))
        .hasMessage("field ordinal must be in [0, 4), found 9");
    assertThatThrownBy(() -> enc.encode(Map.of("site", List.of()), v))
        .hasMessageContaining("value of field site must be a String or a Number");
    assertThatThrownBy(() -> enc.encode(Map.of(), new FeatureVector(3)))
        .hasMessage("feature vector must have 4 fields for model small, found 3");
    assertThatThrownBy(() -> enc.fieldOrdinal("nope")).hasMessage("model small has no field nope");
  }

  @Test
  void encodeNumberShouldEncodeAsADecodedDouble() {
    for (double x : new double[] {0, 1005, -3, 2.5, 1e15, 1e300, Double.NaN}) {
      for (int f = 0; f < 4; f++) {
        FeatureVector want = enc.newFeatureVector();
        FeatureVector got = enc.newFeatureVector();
        enc.encodeObject(f, x, want);
        enc.encodeNumber(f, x, got);
        assertThat(got.toString()).as("field %d value %s", f, x).isEqualTo(want.toString());
      }
    }
    FeatureVector v = enc.newFeatureVector();
    enc.encodeNumber(2, 1005.0, v);
    assertThat(v.index()[2]).as("integral numbers as their integer string").isEqualTo(FeatureHash.bucket("1005", 16));
  }

  @Test
  void encodesLikeShouldHoldForTheSameFieldsAndVocabulariesOnly() {
    ModelSpec spec = TestSpecs.small().build();
    FeatureEncoder same = new FeatureEncoder(spec, model.vocabularies());
    assertThat(enc.encodesLike(same)).isTrue();
    assertThat(enc.encodesLike(enc)).isTrue();
    assertThat(enc.encodesLike(CtrModel.random(TestSpecs.small().mlp(4).build(), 9).encoder()))
        .as("the network does not matter, only the encoding").isTrue();
    List<String> swapped = List.of("site:1", "site:0", "site:2");
    assertThat(enc.encodesLike(new FeatureEncoder(spec, Map.of("site", swapped)))).as("other vocabulary ids").isFalse();
    ModelSpec moreOov = ModelSpec.builder().name("small").architecture(Architecture.DNN)
        .field(FieldSpec.categorical("site", FieldSpec.Role.CONTEXT, 3, 8, 4))
        .field(FieldSpec.logBucket("age", FieldSpec.Role.CONTEXT, 20, 3))
        .field(FieldSpec.categorical("ad", FieldSpec.Role.CANDIDATE, 0, 16, 5))
        .field(FieldSpec.scaled("bid", FieldSpec.Role.CANDIDATE, 2))
        .mlp(8, 6).build();
    assertThat(enc.encodesLike(new FeatureEncoder(moreOov, model.vocabularies()))).as("other OOV buckets").isFalse();
    ModelSpec fewer = ModelSpec.builder().name("small").architecture(Architecture.DNN)
        .field(FieldSpec.categorical("site", FieldSpec.Role.CONTEXT, 3, 4, 4))
        .field(FieldSpec.categorical("ad", FieldSpec.Role.CANDIDATE, 0, 16, 5))
        .mlp(8, 6).build();
    assertThat(enc.encodesLike(new FeatureEncoder(fewer, model.vocabularies()))).as("other fields").isFalse();
  }

  @Test
  void shouldRejectBadVocabularies() {
    ModelSpec spec = TestSpecs.small().build();
    assertThatThrownBy(() -> new FeatureEncoder(spec, Map.of("site", List.of("a", "b"))))
        .hasMessage("vocabulary of field site must have 3 values, found 2");
    assertThatThrownBy(() -> new FeatureEncoder(spec, Map.of("site", List.of("a", "b", "a"))))
        .hasMessage("vocabulary of field site has duplicate value \"a\" at ids 0 and 2");
  }

  @Test
  void shouldEncodeCriteoSampleRows() throws IOException {
    Path data = SharedData.find("criteo-sample-1k.tsv");
    assumeTrue(data != null, "Criteo sample not found (../shared/data or CTR_DATA_DIR); skipping");
    ModelSpec.Builder b = ModelSpec.builder().name("criteo").mlp(8);
    for (int i = 1; i <= 13; i++) {
      b.field(FieldSpec.logBucket("I" + i, FieldSpec.Role.CONTEXT, 100, 4));
    }
    for (int i = 1; i <= 26; i++) {
      b.field(FieldSpec.categorical("C" + i, FieldSpec.Role.CANDIDATE, 0, 1000, 4));
    }
    CtrModel m = CtrModel.random(b.build(), 1);
    FeatureVector v = m.encoder().newFeatureVector();
    FeatureVector ctx = m.encoder().newFeatureVector();
    int rows = 0;
    for (String line : Files.readAllLines(data)) {
      String[] cols = line.split("\t", -1);
      for (int f = 0; f < 39; f++) {
        // some sample rows are short: absent trailing columns are missing values
        m.encoder().encodeField(f, f + 1 < cols.length ? cols[f + 1] : null, v);
      }
      ctx.copyFrom(v);
      float p = m.referenceScorer().score(ctx, v);
      assertThat(p).isBetween(0f, 1f);
      rows++;
    }
    assertThat(rows).isEqualTo(1000);
  }
}
