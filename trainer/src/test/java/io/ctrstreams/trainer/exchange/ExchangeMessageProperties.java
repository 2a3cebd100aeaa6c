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

  /** A dense tensor of {@code d} values and a table of 5 rows of 3. */
  private static ParamLayout layout(int d) {
    return ParamLayout.builder().add("w", d, 1).add("t", 15, 3).build();
  }

  private static float[] sparse(long seed, int d, ValueEncoding enc) {
    Random r = new Random(seed);
    float[] v = new float[d + 15];
    for (int i = 0; i < v.length; i++) {
      if (r.nextInt(5) == 0) {
        v[i] = enc.round((float) r.nextGaussian());
      }
    }
    return v;
  }

  @Property(tries = 100)
  void shouldDecodeIntoAReusedBufferAsIntoAFreshOne(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int d,
      @ForAll boolean half) {
    ValueEncoding enc = half ? ValueEncoding.FP16 : ValueEncoding.FP32;
    float[] buffer = new float[d + 15];
    java.util.Arrays.fill(buffer, Float.NaN); // a previous round's leftovers must not survive
    for (int round = 0; round < 2; round++) {
      ExchangeMessage m = new ExchangeMessage(1, round, 0, 1, seed, enc, sparse(seed + round, d, enc));
      byte[] wire = m.encode(layout(d));
      ExchangeMessage into = ExchangeMessage.decode(wire, layout(d), buffer);
      assertThat(into.values()).isSameAs(buffer).containsExactly(ExchangeMessage.decode(wire, layout(d)).values());
      ExchangeMessage header = ExchangeMessage.decode(wire, layout(d), null);
      assertThat(header.values()).isNull();
      assertThat(header.round()).isEqualTo(round);
      assertThat(header.weightsHash()).isEqualTo(seed);
    }
    assertThatThrownBy(() -> ExchangeMessage.decode(new ExchangeMessage(1, 0, 0, 1, seed, enc, new float[d + 15])
        .encode(layout(d)), layout(d), new float[d])).isInstanceOf(TrainerException.class)
        .hasMessageContaining("decode buffer");
  }

  @Property(tries = 100)
  void shouldRoundTrip(@ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int d, @ForAll boolean half) {
    ValueEncoding enc = half ? ValueEncoding.FP16 : ValueEncoding.FP32;
    ExchangeMessage m = new ExchangeMessage(3, seed & 0xffff, 1, 2, seed, enc, sparse(seed, d, enc));
    byte[] wire = m.encode(layout(d));
    ExchangeMessage back = ExchangeMessage.decode(wire, layout(d));
    assertThat(back.values()).containsExactly(m.values());
    assertThat(back.weightsHash()).isEqualTo(seed);
    assertThat(back.epoch()).isEqualTo(3);
    assertThat(back.slot()).isEqualTo(1);
    // a table row with any non-zero value travels whole: 4-byte unit number + 3 values
    int units = 0;
    int values = 0;
    for (int i = 0; i < d; i++) {
      if (m.values()[i] != 0f) {
        units++;
        values++;
      }
    }
    for (int row = 0; row < 5; row++) {
      boolean any = false;
      for (int c = 0; c < 3; c++) {
        any |= m.values()[d + row * 3 + c] != 0f;
      }
      if (any) {
        units++;
        values += 3;
      }
    }
    assertThat(wire).hasSize(47 + 4 * units + values * enc.bytesPerValue());
  }

  @Property(tries = 200)
  void shouldRejectAnyFlippedByteOrTruncation(@ForAll long seed, @ForAll @IntRange(min = 1, max = 100) int d,
      @ForAll @IntRange(min = 0, max = 10_000) int where, @ForAll @IntRange(min = 1, max = 255) int flip) {
    byte[] b = new ExchangeMessage(1, 2, 0, 1, seed, ValueEncoding.FP32, sparse(seed, d, ValueEncoding.FP32))
        .encode(layout(d));
    byte[] bad = b.clone();
    bad[where % bad.length] ^= (byte) flip;
    assertThatThrownBy(() -> ExchangeMessage.decode(bad, layout(d))).isInstanceOf(TrainerException.class);
    byte[] cut = java.util.Arrays.copyOf(b, where % b.length);
    assertThatThrownBy(() -> ExchangeMessage.decode(cut, layout(d))).isInstanceOf(TrainerException.class);
  }

  @Property(tries = 20)
  void shouldRejectAnotherModelDimension(@ForAll @IntRange(min = 1, max = 100) int d) {
    byte[] b = new ExchangeMessage(1, 2, 0, 1, 7, ValueEncoding.FP16, new float[d + 15]).encode(layout(d));
    assertThatThrownBy(() -> ExchangeMessage.decode(b, layout(d + 1))).isInstanceOf(TrainerException.class)
        .hasMessageContaining((d + 15) + " values");
  }
}
