package io.ctrstreams.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.delta.TensorDelta;
import io.ctrstreams.model.delta.ValueEncoding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** The model-deltas value codec: exact round trips, clear errors on bad bytes. */
class DeltaRecordsProperties {

  static ModelDelta random(long seed, ValueEncoding enc) {
    Random rnd = new Random(seed);
    List<TensorDelta> ts = new ArrayList<>();
    for (int t = rnd.nextInt(4); t >= 0; t--) {
      int n = rnd.nextInt(50);
      int unit = 1 + rnd.nextInt(3);
      int[] idx = new int[n];
      int at = rnd.nextInt(3);
      for (int i = 0; i < n; i++) {
        idx[i] = at;
        at += 1 + (rnd.nextBoolean() ? rnd.nextInt(3) : rnd.nextInt(1 << 20));
        if (at < 0) {
          idx = Arrays.copyOf(idx, i + 1);
          break;
        }
      }
      float[] v = new float[idx.length * unit];
      for (int i = 0; i < v.length; i++) {
        v[i] = enc.round((float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(6) - 4)));
      }
      ts.add(new TensorDelta("t" + t, idx, v));
    }
    return new ModelDelta("m", rnd.nextInt(100), 1 + rnd.nextInt(1000), enc, rnd.nextLong(), rnd.nextLong(),
        rnd.nextLong(), rnd.nextDouble(), rnd.nextDouble(), rnd.nextLong(), ts);
  }

  @Property(tries = 300)
  void shouldRoundTripEveryBit(@ForAll long seed, @ForAll boolean fp16) {
    ModelDelta d = random(seed, fp16 ? ValueEncoding.FP16 : ValueEncoding.FP32);
    ModelDelta back = DeltaRecords.decode(DeltaRecords.encode(d));
    assertThat(back).usingRecursiveComparison().ignoringFields("tensors").isEqualTo(d);
    assertThat(back.tensors()).hasSameSizeAs(d.tensors());
    for (int t = 0; t < d.tensors().size(); t++) {
      TensorDelta a = d.tensors().get(t);
      TensorDelta b = back.tensors().get(t);
      assertThat(b.tensor()).isEqualTo(a.tensor());
      assertThat(b.indices()).isEqualTo(a.indices());
      assertThat(bits(b.values())).isEqualTo(bits(a.values()));
    }
  }

  @Property(tries = 300)
  void truncatedOrAlteredBytesShouldFailAsServingExceptionOrDecodeToADelta(@ForAll long seed) {
    byte[] b = DeltaRecords.encode(random(seed, ValueEncoding.FP32));
    Random rnd = new Random(seed);
    byte[] bad = rnd.nextBoolean() ? Arrays.copyOf(b, rnd.nextInt(b.length)) : b.clone();
    if (bad.length == b.length) {
      bad[rnd.nextInt(bad.length)] ^= (byte) (1 + rnd.nextInt(255));
    }
    try {
      DeltaRecords.decode(bad); // an altered value byte still decodes: the chain's hash catches it
    } catch (ServingException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }

  @org.junit.jupiter.api.Test
  void indicesShouldCostAboutOneByteEachWhenDense() {
    int[] idx = new int[1000];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = 5000 + 3 * i;
    }
    assertThat(DeltaRecords.varintGaps(idx)).hasSize(2 + 999);
    assertThatThrownBy(() -> DeltaRecords.decode(new byte[] {1, 2, 3})).isInstanceOf(ServingException.class)
        .hasMessageStartingWith("not a model delta");
  }

  static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }
}
