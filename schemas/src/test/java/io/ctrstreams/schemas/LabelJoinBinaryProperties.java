package io.ctrstreams.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** A first-seen served impression's state spliced from its bytes decodes to the state the object path stores. */
class LabelJoinBinaryProperties {

  @Provide
  Arbitrary<String> text() {
    return Arbitraries.oneOf(Arbitraries.strings().all().ofMaxLength(12), Arbitraries.strings().ascii().ofMaxLength(40));
  }

  @Provide
  Arbitrary<Map<String, Object>> features() {
    Arbitrary<Object> value = Arbitraries.oneOf(text().map(s -> (Object) s), Arbitraries.doubles().map(d -> (Object) d));
    return Arbitraries.maps(text(), value).ofMaxSize(5);
  }

  @Provide
  Arbitrary<ServedImpression> served() {
    Arbitrary<ServedCandidate> candidate = Combinators.combine(text(), features(), Arbitraries.doubles(),
        Arbitraries.doubles().injectNull(0.5)).as(ServedCandidate::new);
    Arbitrary<Boolean> shadow = Arbitraries.of(true, false);
    Arbitrary<String> source = Arbitraries.of("rpc", "stream").injectNull(0.5);
    return Combinators.combine(text(), Arbitraries.longs(), features(), candidate.list().ofMaxSize(6), text(),
        Arbitraries.longs(), shadow, source).as((id, ts, ctx, cs, model, version, sh, src) ->
            new ServedImpression(id, ts, ctx, cs, model, version, sh ? model + "-full" : null, sh ? version + 1 : null,
                src));
  }

  @Property(tries = 500)
  void freshStateShouldBeWhatAvroWritesForTheSameState(@ForAll("served") ServedImpression s, @ForAll long ts) {
    byte[] event = Schemas.LABEL_JOIN_EVENT.encode(new LabelJoinEvent(s, null));
    LabelJoinBinary.Fresh f = LabelJoinBinary.fresh(event, ts);
    assertThat(f).isNotNull();
    // what Avro gives back for the served impression (strings normalized as Avro writes them)
    ServedImpression back = Schemas.LABEL_JOIN_EVENT.decode(event, null).getServed();
    assertThat(f.eventId()).isEqualTo(back.getEventId());
    LabelJoinState want = new LabelJoinState(back, ts, new ArrayList<>(), new ArrayList<>(), ts);
    assertThat(Schemas.LABEL_JOIN_STATE.decode(f.state(), null)).isEqualTo(want);
  }

  @Property(tries = 200)
  void shouldRejectEveryTruncationOrLeaveItToTheDecoder(@ForAll("served") ServedImpression s) {
    byte[] event = Schemas.LABEL_JOIN_EVENT.encode(new LabelJoinEvent(s, null));
    for (int len = AvroBinary.HEADER_BYTES; len < event.length; len++) {
      byte[] cut = java.util.Arrays.copyOf(event, len);
      try {
        assertThat(LabelJoinBinary.fresh(cut, 1L)).as("a truncated record is never stored as it came").isNull();
      } catch (CodecException e) {
        assertThat(e.reason()).isEqualTo(DecodeFailure.BAD_AVRO);
      }
    }
  }

  @Test
  void clicksAndOtherSchemasShouldGoToTheDecoder() {
    Click c = new Click("e", "a", 3L);
    assertThat(LabelJoinBinary.fresh(Schemas.LABEL_JOIN_EVENT.encode(new LabelJoinEvent(null, c)), 1L)).isNull();
    ServedImpression s = new ServedImpression("e", 1L, Map.of(), List.of(), "m", 1L, null, null, null);
    assertThat(LabelJoinBinary.fresh(Schemas.LABEL_JOIN_EVENT.encode(new LabelJoinEvent(s, c)), 1L))
        .as("served and click both set").isNull();
    assertThat(LabelJoinBinary.fresh(Schemas.CLICK.encode(c), 1L)).isNull();
    assertThat(LabelJoinBinary.fresh(new byte[] {(byte) 0xC3, 0x01}, 1L)).as("no header").isNull();
  }
}
