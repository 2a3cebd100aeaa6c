package io.ctrstreams.trainer.exchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.delta.ValueEncoding;
import io.ctrstreams.trainer.TrainerException;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The exchange record format: round trip, and every corruption rejected with a clear error. */
class ExchangeMessageProperties {

  private static float[] sparse(long seed, int d, ValueEncoding enc) {
    Random r = new Random(seed);
    float[] v = new float[d];
    for (int i = 0; i < d; i++) {
      if (r.nextInt(5) == 0) {
        v[i] = enc.round((float) r.nextGaussian());
      }
    }
    return v;
  }

  @Property(tries = 100)
  void shouldRoundTrip(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int d, @ForAll boolean half) {
    ValueEncoding enc = half ? ValueEncoding.FP16 : ValueEncoding.FP32;
    ExchangeMessage m = new ExchangeMessage(3, seed & 0xffff, 1, 2, seed, enc, sparse(seed, d, enc));
    ExchangeMessage back = ExchangeMessage.decode(m.encode(), d);
    assertThat(back.values()).containsExactly(m.values());
    assertThat(back.weightsHash()).isEqualTo(seed);
    assertThat(back.epoch()).isEqualTo(3);
    assertThat(back.slot()).isEqualTo(1);
  }

  @Property(tries = 200)
  void shouldRejectAnyFlippedByteOrTruncation(@ForAll long seed, @ForAll @IntRange(min = 1, max = 100) int d,
      @ForAll @IntRange(min = 0, max = 10_000) int where, @ForAll @IntRange(min = 1, max = 255) int flip) {
    byte[] b = new ExchangeMessage(1, 2, 0, 1, seed, ValueEncoding.FP32, sparse(seed, d, ValueEncoding.FP32)).encode();
    byte[] bad = b.clone();
    bad[where % bad.length] ^= (byte) flip;
    assertThatThrownBy(() -> ExchangeMessage.decode(bad, d)).isInstanceOf(TrainerException.class);
    byte[] cut = java.util.Arrays.copyOf(b, where % b.length);
    assertThatThrownBy(() -> ExchangeMessage.decode(cut, d)).isInstanceOf(TrainerException.class);
  }

  @Property(tries = 20)
  void shouldRejectAnotherModelDimension(@ForAll @IntRange(min = 1, max = 100) int d) {
    byte[] b = new ExchangeMessage(1, 2, 0, 1, 7, ValueEncoding.FP16, new float[d]).encode();
    assertThatThrownBy(() -> ExchangeMessage.decode(b, d + 1)).isInstanceOf(TrainerException.class)
        .hasMessageContaining(d + " values");
  }
}
