package io.ctrstreams.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
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
      @ForAll long scoredAt, @ForAll long delta) throws IOException {
    Score s = new Score(eventId, adId, pctr, model, version, variant, ts, scoredAt, delta);
    byte[] avro = Score.getEncoder().encode(s).array();
    assertThat(ScoreBinary.encode(s)).containsExactly(avro);
    assertThat(Schemas.SCORE.encode(s)).containsExactly(avro);
    assertThat(Schemas.SCORE.decode(avro, null)).isEqualTo(Score.getDecoder().decode(avro));
  }

  @Property(tries = 500)
  void scoreFieldsShouldReadWhatAvroDecodes(@ForAll("text") String eventId, @ForAll("text") String adId,
      @ForAll double pctr, @ForAll("text") String model, @ForAll long version, @ForAll("text") String variant,
      @ForAll long ts, @ForAll long scoredAt, @ForAll long delta) throws IOException {
    byte[] avro = Score.getEncoder().encode(new Score(eventId, adId, pctr, model, version, variant, ts, scoredAt, delta)).array();
    Score decoded = Score.getDecoder().decode(avro);
    ScoreFields f = new ScoreFields().read(avro);
    assertThat(Double.doubleToRawLongBits(f.pctr())).isEqualTo(Double.doubleToRawLongBits(decoded.getPctr()));
    assertThat(f.modelVersion()).isEqualTo(decoded.getModelVersion());
    assertThat(f.timestampMs()).isEqualTo(decoded.getTimestampMs());
    assertThat(f.scoredAtMs()).isEqualTo(decoded.getScoredAtMs());
    assertThat(f.deltaSequence()).isEqualTo(decoded.getDeltaSequence());
  }

  @Property(tries = 200)
  void scoresWrittenBeforeDeltaSequenceShouldStillDecode(@ForAll("text") String eventId, @ForAll long version,
      @ForAll long scoredAt) throws IOException {
    org.apache.avro.generic.GenericData.Record old = new org.apache.avro.generic.GenericData.Record(Schemas.SCORE_V1);
    old.put("eventId", eventId);
    old.put("adId", "ad");
    old.put("pctr", 0.5);
    old.put("modelName", "m");
    old.put("modelVersion", version);
    old.put("variant", "live");
    old.put("timestampMs", 7L);
    old.put("scoredAtMs", scoredAt);
    byte[] bytes = new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericRecord>(
        org.apache.avro.generic.GenericData.get(), Schemas.SCORE_V1).encode(old).array();
    Score s = Schemas.SCORE.decode(bytes, null);
    assertThat(s.getEventId()).isEqualTo(new String(eventId.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        java.nio.charset.StandardCharsets.UTF_8));
    assertThat(s.getModelVersion()).isEqualTo(version);
    assertThat(s.getScoredAtMs()).isEqualTo(scoredAt);
    assertThat(s.getDeltaSequence()).isZero();
    ScoreFields f = new ScoreFields().read(bytes);
    assertThat(f.modelVersion()).isEqualTo(version);
    assertThat(f.scoredAtMs()).isEqualTo(scoredAt);
    assertThat(f.deltaSequence()).isZero();
  }

  @Property(tries = 300)
  void scoreFieldsShouldRejectEveryTruncation(@ForAll("text") String eventId, @ForAll long version,
      @ForAll long scoredAt) throws IOException {
    byte[] avro = Score.getEncoder().encode(new Score(eventId, "ad", 0.5, "m", version, "live", 7L, scoredAt, 3L)).array();
    ScoreFields f = new ScoreFields();
    for (int len = 0; len < avro.length; len++) {
      byte[] cut = java.util.Arrays.copyOf(avro, len);
      assertThatThrownBy(() -> f.read(cut)).isInstanceOf(CodecException.class)
          .satisfies(e -> assertThat(((CodecException) e).reason()).isEqualTo(DecodeFailure.BAD_AVRO));
    }
  }

  @Property(tries = 300)
  void scoreFieldsShouldReadImpressionScoresAsAvroDecodesThem(@ForAll("text") String eventId,
      @ForAll @Size(max = 20) List<@From("text") String> adIds, @ForAll double pctr, @ForAll("text") String model,
      @ForAll long version, @ForAll long delta, @ForAll("text") String variant, @ForAll long ts,
      @ForAll long scoredAt) throws IOException {
    List<CandidateScore> cs = new java.util.ArrayList<>();
    for (int i = 0; i < adIds.size(); i++) {
      cs.add(new CandidateScore(adIds.get(i), i == 0 ? pctr : i / 64.0));
    }
    byte[] avro = ImpressionScores.getEncoder()
        .encode(new ImpressionScores(eventId, model, version, delta, variant, ts, scoredAt, cs)).array();
    ImpressionScores decoded = ImpressionScores.getDecoder().decode(avro);
    ScoreFields f = new ScoreFields().read(avro);
    assertThat(f.candidates()).isEqualTo(decoded.getScores().size()).isEqualTo(adIds.size());
    assertThat(Double.doubleToRawLongBits(f.pctr())).isEqualTo(Double.doubleToRawLongBits(
        adIds.isEmpty() ? Double.NaN : decoded.getScores().get(0).getPctr()));
    assertThat(f.modelVersion()).isEqualTo(decoded.getModelVersion());
    assertThat(f.deltaSequence()).isEqualTo(decoded.getDeltaSequence());
    assertThat(f.timestampMs()).isEqualTo(decoded.getTimestampMs());
    assertThat(f.scoredAtMs()).isEqualTo(decoded.getScoredAtMs());
    // a Score read after it counts one candidate again (the reader is reused)
    byte[] one = Score.getEncoder().encode(new Score(eventId, "a", 0.5, model, version, variant, ts, scoredAt, delta)).array();
    assertThat(f.read(one).candidates()).isEqualTo(1);
  }

  @Property(tries = 200)
  void scoreFieldsShouldRejectEveryTruncationOfImpressionScores(@ForAll("text") String eventId,
      @ForAll @Size(max = 4) List<@From("text") String> adIds, @ForAll long scoredAt) throws IOException {
    List<CandidateScore> cs = new java.util.ArrayList<>();
    for (String a : adIds) {
      cs.add(new CandidateScore(a, 0.25));
    }
    byte[] avro = ImpressionScores.getEncoder()
        .encode(new ImpressionScores(eventId, "m", 3L, 0L, "live", 7L, scoredAt, cs)).array();
    ScoreFields f = new ScoreFields();
    for (int len = 0; len < avro.length; len++) {
      byte[] cut = java.util.Arrays.copyOf(avro, len);
      assertThatThrownBy(() -> f.read(cut)).isInstanceOf(CodecException.class)
          .satisfies(e -> assertThat(((CodecException) e).reason()).isEqualTo(DecodeFailure.BAD_AVRO));
    }
  }

  @Test
  void scoreFieldsShouldRejectAnotherSchema() {
    byte[] click = Schemas.CLICK.encode(new Click("e", "a", 1L));
    assertThatThrownBy(() -> new ScoreFields().read(click)).isInstanceOf(CodecException.class)
        .satisfies(e -> assertThat(((CodecException) e).reason()).isEqualTo(DecodeFailure.UNKNOWN_SCHEMA));
  }

  @Property(tries = 300)
  void batchShouldWriteExactlyAvrosBytesForEveryCandidate(@ForAll("text") String eventId,
      @ForAll @Size(min = 1, max = 5) List<@From("text") String> adIds, @ForAll double pctr, @ForAll("text") String model,
      @ForAll long version, @ForAll("text") String variant, @ForAll long ts, @ForAll long scoredAt,
      @ForAll long delta, @ForAll("text") String previousEventId) throws IOException {
    ScoreBatch batch = new ScoreBatch();
    // a previous impression with other (possibly longer) shared fields must leave no trace
    batch.start(previousEventId + previousEventId, model + model + model, ~version, variant + "x", ~ts, ~scoredAt);
    batch.encode("previous", 0.25);
    batch.start(eventId, model, version, delta, variant, ts, scoredAt);
    for (int i = 0; i < adIds.size(); i++) {
      double p = pctr + i;
      Score s = new Score(eventId, adIds.get(i), p, model, version, variant, ts, scoredAt, delta);
      assertThat(batch.encode(adIds.get(i), p)).containsExactly(Score.getEncoder().encode(s).array());
    }
  }

  @Test
  void batchShouldRefuseEncodeBeforeStartAndNulls() {
    ScoreBatch batch = new ScoreBatch();
    assertThatThrownBy(() -> batch.encode("a", 0.5)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("before start");
    assertThatThrownBy(() -> batch.start(null, "m", 1L, "live", 1L, 1L)).isInstanceOf(NullPointerException.class)
        .hasMessageContaining("eventId");
    batch.start("e", "m", 1L, "live", 1L, 1L);
    assertThatThrownBy(() -> batch.encode(null, 0.5)).isInstanceOf(NullPointerException.class)
        .hasMessageContaining("adId");
  }

  @Test
  void shouldKeepNaNPayloadsAndExtremes() throws IOException {
    for (double d : new double[] {Double.longBitsToDouble(0x7ff8000000000123L), -0.0, Double.MIN_VALUE,
        Double.NEGATIVE_INFINITY}) {
      Score s = new Score("e", "a", d, "m", Long.MIN_VALUE, "live", Long.MAX_VALUE, -1L, Long.MIN_VALUE);
      assertThat(ScoreBinary.encode(s)).containsExactly(Score.getEncoder().encode(s).array());
    }
  }

  @Test
  void nullStringShouldFailAsAvroDoes() {
    Score s = new Score("e", null, 0.5, "m", 1L, "live", 1L, 1L, 0L);
    assertThat(ScoreBinary.encode(s)).isNull();
    assertThatThrownBy(() -> Schemas.SCORE.encode(s)).isInstanceOf(RuntimeException.class);
  }
}
