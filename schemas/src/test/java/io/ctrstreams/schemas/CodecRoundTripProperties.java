package io.ctrstreams.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Both wire formats decode every valid impression into the object that was encoded, and keep a
 * feature value's type: a string that reads like a number ({@code "NaN"}, {@code "3"}, {@code ""})
 * stays a string, decoded or visited, so the topology can reject it in a numeric model field
 * ({@code wrong_type}) in JSON and Avro alike.
 */
class CodecRoundTripProperties {
  private static final ImpressionCodec JSON = new ImpressionCodec(WireFormat.JSON, 50);
  private static final ImpressionCodec AVRO = new ImpressionCodec(WireFormat.AVRO, 50);
  private static final ImpressionCodec AUTO = new ImpressionCodec(WireFormat.AUTO, 50);

  @Provide
  Arbitrary<Impression> impressions() {
    Arbitrary<String> text = Arbitraries.strings().all().ofMinLength(1).ofMaxLength(12)
        .filter(s -> s.codePoints().allMatch(Character::isDefined) && s.chars().noneMatch(ch -> Character.isSurrogate((char) ch)));
    Arbitrary<Object> value = Arbitraries.oneOf(
        text.map(s -> (Object) s),
        Arbitraries.doubles().between(-1e12, 1e12).map(d -> (Object) d));
    Arbitrary<Map<String, Object>> features = Arbitraries.maps(text, value).ofMaxSize(6).map(HashMap::new);
    Arbitrary<Candidate> candidate = Combinators.combine(text, features).as(Candidate::new);
    return Combinators.combine(
            text, Arbitraries.longs().between(0, 4_000_000_000_000L), features, candidate.list().ofMinSize(1).ofMaxSize(50))
        .as((id, ts, ctx, cs) -> new Impression(id, ts, ctx, new ArrayList<>(cs)));
  }

  @Property(tries = 300, seed = "20261126")
  void shouldRoundTripThroughBothFormats(@ForAll("impressions") Impression imp) {
    assertThat(AVRO.decode(AVRO.encodeAvro(imp), 0)).isEqualTo(imp);
    assertThat(JSON.decode(ImpressionCodec.encodeJson(imp), 0)).isEqualTo(imp);
    assertThat(AUTO.decode(ImpressionCodec.encodeJson(imp), 0)).isEqualTo(imp);
    assertThat(AUTO.decode(AVRO.encodeAvro(imp), 0)).isEqualTo(imp);
  }

  @Provide
  Arbitrary<String> numericLooking() {
    return Arbitraries.oneOf(
        Arbitraries.of("NaN", "-NaN", "Infinity", "-Infinity", "notanumber", "", " ", "3", "1.5", " 3.5 ", "1e400", "0x1p3"),
        Arbitraries.doubles().map(Object::toString),
        Arbitraries.longs().map(Object::toString));
  }

  @Property(tries = 300, seed = "20261126")
  void shouldKeepANumberLookingStringAStringInBothFormats(@ForAll("numericLooking") String s, @ForAll double x) {
    Map<String, Object> ctx = new HashMap<>();
    ctx.put("I1", s);
    ctx.put("I2", Double.isFinite(x) ? x : 0.0);
    Map<String, Object> features = new HashMap<>();
    features.put("bid", s);
    Impression imp = new Impression("e", 1L, ctx, new ArrayList<>(List.of(new Candidate("a", features))));
    for (byte[] bytes : List.of(AVRO.encodeAvro(imp), ImpressionCodec.encodeJson(imp))) {
      Impression back = AUTO.decode(bytes, 0);
      assertThat(back.getContext().get("I1")).isInstanceOf(CharSequence.class).hasToString(s);
      assertThat(back.getContext().get("I2")).isInstanceOf(Double.class);
      assertThat(back.getCandidates().get(0).getFeatures().get("bid")).isInstanceOf(CharSequence.class).hasToString(s);
    }
    List<String> seen = new ArrayList<>();
    AVRO.visit(AVRO.encodeAvro(imp), new ImpressionVisitor() {
      @Override
      public void contextString(String name, byte[] utf8, int off, int len) {
        seen.add("string " + name + "=" + new String(utf8, off, len, java.nio.charset.StandardCharsets.UTF_8));
      }

      @Override
      public void contextNumber(String name, double value) {
        seen.add("number " + name);
      }

      @Override
      public void candidate(int index, String adId) {}

      @Override
      public void candidateString(int index, String name, byte[] utf8, int off, int len) {
        seen.add("string " + name + "=" + new String(utf8, off, len, java.nio.charset.StandardCharsets.UTF_8));
      }

      @Override
      public void candidateNumber(int index, String name, double value) {
        seen.add("number " + name);
      }
    });
    assertThat(seen).containsExactlyInAnyOrder("string I1=" + s, "number I2", "string bid=" + s);
  }

  @Property(tries = 300, seed = "20261126")
  void shouldNeverThrowAnythingButCodecExceptionOnArbitraryBytes(@ForAll byte[] bytes) {
    for (ImpressionCodec c : List.of(JSON, AVRO, AUTO)) {
      try {
        c.decode(bytes, 1L);
      } catch (CodecException expected) {
        assertThat(expected.reason()).isNotNull();
      }
    }
  }
}
