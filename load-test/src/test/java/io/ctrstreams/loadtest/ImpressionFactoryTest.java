package io.ctrstreams.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.schemas.Impression;
import io.ctrstreams.schemas.ImpressionCodec;
import io.ctrstreams.schemas.WireFormat;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class ImpressionFactoryTest {

  @Property
  void shouldRecoverTheEventIndexFromTheKey(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 10) long index) {
    ImpressionFactory f = new ImpressionFactory(LoadModels.spec(true), 1, "t", 1);
    assertThat(ImpressionFactory.indexOf(f.eventId(index).getBytes(StandardCharsets.UTF_8))).isEqualTo(index);
  }

  @Test
  void shouldReturnMinusOneForKeysWithoutTrailingDigits() {
    assertThat(ImpressionFactory.indexOf("abc".getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
    assertThat(ImpressionFactory.indexOf(null)).isEqualTo(-1);
  }

  @Test
  void shouldFillEveryFieldOfItsRoleAndDecodeWithTheTopologyCodec() {
    ModelSpec spec = LoadModels.spec(false);
    ImpressionFactory f = new ImpressionFactory(spec, 16, "e", 3);
    Impression imp = f.impression(42, 1_700_000_000_000L);
    Impression back = new ImpressionCodec(WireFormat.AVRO, 1000).decode(f.encode(imp), 0);
    assertThat(back.getEventId()).isEqualTo("e42");
    assertThat(back.getCandidates()).hasSize(16);
    long contextFields = spec.fields().stream().filter(x -> x.role() == FieldSpec.Role.CONTEXT).count();
    long candidateFields = spec.fields().stream().filter(x -> x.role() == FieldSpec.Role.CANDIDATE).count();
    assertThat(back.getContext()).hasSize((int) contextFields);
    assertThat(back.getCandidates()).allSatisfy(c -> assertThat(c.getFeatures()).hasSize((int) candidateFields));
  }

  @Property(tries = 200)
  void pooledBytesShouldBeAvrosEncodingOfThePoolEntry(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 10) long index,
      @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long timestampMs) {
    ImpressionFactory f = new ImpressionFactory(LoadModels.spec(true), 4, "s", 5);
    Impression entry = f.pooled(index % ImpressionFactory.POOL, 1L); // the same pool entry, another id and time
    Impression expected = new Impression(f.eventId(index), timestampMs, entry.getContext(), entry.getCandidates());
    assertThat(f.encodePooled(index, timestampMs)).containsExactly(f.encode(expected));
    Impression back = f.pooled(index, timestampMs);
    assertThat(back.getEventId()).isEqualTo(f.eventId(index));
    assertThat(back.getTimestampMs()).isEqualTo(timestampMs);
    assertThat(back.getCandidates()).hasSize(4);
  }

  @Test
  void pooledImpressionsShouldCycleThroughDistinctEntries() {
    ImpressionFactory f = new ImpressionFactory(LoadModels.spec(true), 2, "s", 5);
    assertThat(f.pooled(3, 0L).getContext()).isEqualTo(f.pooled(3 + ImpressionFactory.POOL, 0L).getContext())
        .isNotEqualTo(f.pooled(4, 0L).getContext());
  }

  @Test
  void shouldRejectAPrefixEndingInADigit() {
    assertThatThrownBy(() -> new ImpressionFactory(LoadModels.spec(true), 1, "t1", 1))
        .hasMessageContaining("t1");
  }
}
