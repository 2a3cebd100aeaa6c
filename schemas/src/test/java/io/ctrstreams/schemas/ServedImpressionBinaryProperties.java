package io.ctrstreams.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import org.junit.jupiter.api.Test;

/**
 * The label join's input written from the impression's bytes decodes to exactly the record the
 * object path builds (decode the impression, then {@code new LabelJoinEvent(served, null)}).
 */
class ServedImpressionBinaryProperties {

  @Provide
  Arbitrary<String> text() {
    return Arbitraries.oneOf(Arbitraries.strings().all().ofMaxLength(12), Arbitraries.strings().ascii().ofMaxLength(40));
  }

  @Provide
  Arbitrary<Map<String, Object>> features() {
    Arbitrary<Object> value = Arbitraries.oneOf(text().map(s -> (Object) s), Arbitraries.doubles().map(d -> (Object) d));
    return Arbitraries.maps(text(), value).ofMaxSize(6);
  }

  @Provide
  Arbitrary<Impression> impressions() {
    Arbitrary<Candidate> candidate = Combinators.combine(text(), features()).as(Candidate::new);
    return Combinators.combine(text(), Arbitraries.longs(), features(), candidate.list().ofMinSize(1).ofMaxSize(8))
        .as(Impression::new);
  }

  @Property(tries = 500)
  void shouldDecodeToWhatTheObjectPathBuilds(@ForAll("impressions") Impression imp, @ForAll("text") String model,
      @ForAll long version, @ForAll boolean withShadow, @ForAll("text") String shadowModel, @ForAll long shadowVersion,
      @ForAll float seed) {
    byte[] bytes = Schemas.IMPRESSION.encode(imp);
    int n = imp.getCandidates().size();
    float[] pctr = new float[n];
    float[] shadow = new float[n];
    for (int i = 0; i < n; i++) {
      pctr[i] = seed + i;
      shadow[i] = seed - i / 3f;
    }
    byte[] direct = ServedImpressionBinary.labelJoinEvent(bytes, pctr, model, version,
        withShadow ? shadowModel : null, shadowVersion, withShadow ? shadow : null);

    Impression decoded = Schemas.IMPRESSION.decode(bytes, null);
    List<ServedCandidate> served = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Candidate c = decoded.getCandidates().get(i);
      served.add(new ServedCandidate(c.getAdId(), c.getFeatures(), (double) pctr[i], withShadow ? (double) shadow[i] : null));
    }
    LabelJoinEvent expected = new LabelJoinEvent(new ServedImpression(decoded.getEventId(), decoded.getTimestampMs(),
        decoded.getContext(), served, model, version, withShadow ? shadowModel : null, withShadow ? shadowVersion : null,
        null), null);
    // through Avro once, so strings are compared as Avro gives them back (unpaired surrogates replaced)
    LabelJoinEvent want = Schemas.LABEL_JOIN_EVENT.decode(Schemas.LABEL_JOIN_EVENT.encode(expected), null);
    assertThat(Schemas.LABEL_JOIN_EVENT.decode(direct, null)).isEqualTo(want);
  }

  @Property(tries = 200)
  void shouldRejectEveryTruncationAsBadAvro(@ForAll("impressions") Impression imp) {
    byte[] bytes = Schemas.IMPRESSION.encode(imp);
    float[] pctr = new float[imp.getCandidates().size()];
    for (int len = AvroBinary.HEADER_BYTES; len < bytes.length; len++) {
      byte[] cut = java.util.Arrays.copyOf(bytes, len);
      assertThatThrownBy(() -> ServedImpressionBinary.labelJoinEvent(cut, pctr, "m", 1, null, 0, null))
          .isInstanceOf(CodecException.class)
          .satisfies(e -> assertThat(((CodecException) e).reason()).isEqualTo(DecodeFailure.BAD_AVRO));
    }
  }

  @Test
  void shouldLeaveOtherSchemasToTheCallerAndRefuseAMismatchedCandidateCount() {
    byte[] click = Schemas.CLICK.encode(new Click("e", "a", 1L));
    assertThat(ServedImpressionBinary.labelJoinEvent(click, new float[1], "m", 1, null, 0, null)).isNull();
    Map<String, Object> f = new HashMap<>();
    f.put("x", 1.0);
    byte[] two = Schemas.IMPRESSION.encode(new Impression("e", 1L, f, List.of(new Candidate("a", f), new Candidate("b", f))));
    assertThatThrownBy(() -> ServedImpressionBinary.labelJoinEvent(two, new float[3], "m", 1, null, 0, null))
        .isInstanceOf(CodecException.class).hasMessageContaining("2 candidates, 3 scored");
    assertThatThrownBy(() -> ServedImpressionBinary.labelJoinEvent(two, new float[1], "m", 1, null, 0, null))
        .isInstanceOf(CodecException.class).hasMessageContaining("more candidates than the 1 scored");
    assertThatThrownBy(() -> ServedImpressionBinary.labelJoinEvent(two, new float[2], "m", 1, "full", 2, new float[1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shadow");
  }
}
