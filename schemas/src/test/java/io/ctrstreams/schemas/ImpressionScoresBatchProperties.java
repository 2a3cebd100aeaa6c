package io.ctrstreams.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The direct per-impression encoder writes exactly Avro's bytes, and they decode to the same record. */
class ImpressionScoresBatchProperties {

  @Provide
  Arbitrary<String> text() {
    return Arbitraries.oneOf(Arbitraries.strings().all().ofMaxLength(20), Arbitraries.strings().ascii().ofMaxLength(200));
  }

  @Property(tries = 500)
  void shouldWriteExactlyAvrosBytes(@ForAll("text") String eventId, @ForAll("text") String model,
      @ForAll long version, @ForAll long delta, @ForAll("text") String variant, @ForAll long ts, @ForAll long scoredAt,
      @ForAll @Size(max = 40) List<@From("text") String> adIds, @ForAll double pctr,
      @ForAll("text") String previous) throws IOException {
    ImpressionScoresBatch b = new ImpressionScoresBatch();
    // a previous, longer impression must leave no trace
    b.start(previous + previous, model + model, ~version, delta, variant + "x", ts, scoredAt);
    for (int i = 0; i < 50; i++) {
      b.add("previous-" + i, 0.5);
    }
    b.finish();
    b.start(eventId, model, version, delta, variant, ts, scoredAt);
    List<CandidateScore> scores = new ArrayList<>();
    for (int i = 0; i < adIds.size(); i++) {
      b.add(adIds.get(i), pctr + i);
      scores.add(new CandidateScore(adIds.get(i), pctr + i));
    }
    ImpressionScores r = new ImpressionScores(eventId, model, version, delta, variant, ts, scoredAt, scores);
    byte[] avro = ImpressionScores.getEncoder().encode(r).array();
    byte[] direct = b.finish();
    assertThat(direct).containsExactly(avro);
    assertThat(Schemas.IMPRESSION_SCORES.decode(direct, null)).isEqualTo(ImpressionScores.getDecoder().decode(avro));
  }

  @Test
  void shouldRefuseUseBeforeStartAndNulls() {
    ImpressionScoresBatch b = new ImpressionScoresBatch();
    assertThatThrownBy(() -> b.add("a", 0.5)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(b::finish).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.start(null, "m", 1, 0, "live", 1, 1)).isInstanceOf(NullPointerException.class)
        .hasMessageContaining("eventId");
    b.start("e", "m", 1, 0, "live", 1, 1);
    assertThatThrownBy(() -> b.add(null, 0.5)).isInstanceOf(NullPointerException.class).hasMessageContaining("adId");
  }
}
