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

/** Both wire formats decode every valid impression into the object that was encoded. */
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
