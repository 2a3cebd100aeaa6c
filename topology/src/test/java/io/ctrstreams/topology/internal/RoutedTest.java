package io.ctrstreams.topology.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.schemas.Schemas;
import io.ctrstreams.schemas.Score;
import io.ctrstreams.schemas.ScoreBatch;
import org.junit.jupiter.api.Test;

class RoutedTest {

  @Test
  void scoreSerdeShouldSendTheProcessorsEncodingAsItIsAndReadItBack() {
    ScoreBatch batch = new ScoreBatch();
    batch.start("e-1", "ctr", 7L, "live", 1_700_000_000_000L, 1_700_000_000_500L);
    byte[] encoded = batch.encode("ad-3", 0.25);
    Routed r = Routed.encodedScore(encoded);

    byte[] sent = Routed.SCORE_SERDE.serializer().serialize("scores", r);
    assertThat(sent).isSameAs(encoded);
    Routed back = Routed.SCORE_SERDE.deserializer().deserialize("scores", sent);
    assertThat(back.kind()).isEqualTo(Routed.Kind.SCORE);
    assertThat(back.score()).isEqualTo(new Score("e-1", "ad-3", 0.25, "ctr", 7L, "live", 1_700_000_000_000L,
        1_700_000_000_500L, 0L));
    assertThat(Schemas.SCORE.decode(sent, null)).isEqualTo(back.score());
    assertThat(back.dead()).isNull();
    assertThat(Routed.SCORE_SERDE.serializer().serialize("scores", null)).isNull();
  }

  @Test
  void deadSerdeShouldKeepTheOriginalBytes() {
    byte[] original = {1, 2, 3};
    Routed d = Routed.dead(original);
    assertThat(Routed.DEAD_SERDE.serializer().serialize("dlq", d)).isSameAs(original);
    Routed back = Routed.DEAD_SERDE.deserializer().deserialize("dlq", original);
    assertThat(back.kind()).isEqualTo(Routed.Kind.DEAD);
    assertThat(back.dead()).containsExactly(1, 2, 3);
    assertThat(back.score()).isNull();
  }
}
