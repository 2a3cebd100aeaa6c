package io.ctrstreams.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The direct Score encoder writes exactly Avro's single-object bytes, for any strings and numbers. */
class ScoreBinaryProperties {

  @Provide
  Arbitrary<String> text() {
    // every char, unpaired surrogates included (Avro and the direct path both replace them)
    return Arbitraries.oneOf(Arbitraries.strings().all().ofMaxLength(20), Arbitraries.strings().ascii().ofMaxLength(200));
  }

  @Property(tries = 1000)
  void shouldWriteExactlyAvrosBytes(@ForAll("text") String eventId, @ForAll("text") String adId, @ForAll double pctr,
      @ForAll("text") String model, @ForAll long version, @ForAll("text") String variant, @ForAll long ts,
      @ForAll long scoredAt) throws IOException {
    Score s = new Score(eventId, adId, pctr, model, version, variant, ts, scoredAt);
    byte[] avro = Score.getEncoder().encode(s).array();
    assertThat(ScoreBinary.encode(s)).containsExactly(avro);
    assertThat(Schemas.SCORE.encode(s)).containsExactly(avro);
    assertThat(Schemas.SCORE.decode(avro, null)).isEqualTo(Score.getDecoder().decode(avro));
  }

  @Test
  void shouldKeepNaNPayloadsAndExtremes() throws IOException {
    for (double d : new double[] {Double.longBitsToDouble(0x7ff8000000000123L), -0.0, Double.MIN_VALUE,
        Double.NEGATIVE_INFINITY}) {
      Score s = new Score("e", "a", d, "m", Long.MIN_VALUE, "live", Long.MAX_VALUE, -1L);
      assertThat(ScoreBinary.encode(s)).containsExactly(Score.getEncoder().encode(s).array());
    }
  }

  @Test
  void nullStringShouldFailAsAvroDoes() {
    Score s = new Score("e", null, 0.5, "m", 1L, "live", 1L, 1L);
    assertThat(ScoreBinary.encode(s)).isNull();
    assertThatThrownBy(() -> Schemas.SCORE.encode(s)).isInstanceOf(RuntimeException.class);
  }
}
