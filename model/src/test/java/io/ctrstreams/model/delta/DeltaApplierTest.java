package io.ctrstreams.model.delta;

import static io.ctrstreams.model.delta.DeltaChainProperties.bits;
import static io.ctrstreams.model.delta.DeltaChainProperties.file;
import static io.ctrstreams.model.delta.DeltaChainProperties.gaussian;
import static io.ctrstreams.model.delta.DeltaChainProperties.step;
import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.delta.DeltaApplier.Outcome;
import io.ctrstreams.model.format.ModelFile;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each chain fault has its own outcome and leaves the last good weights. */
class DeltaApplierTest {
  private ModelFile x0;
  private final List<ModelDelta> chain = new ArrayList<>();
  private DeltaApplier consumer;

  @BeforeEach
  void chain() {
    Random rnd = new Random(42);
    x0 = file(gaussian(rnd, 50 * 4, 0.1), 50, gaussian(rnd, 32, 0.3), gaussian(rnd, 8, 0.01));
    DeltaEncoder producer = new DeltaEncoder("m", 3, x0, 0.1, ValueEncoding.FP32);
    ModelFile x = x0;
    for (int s = 0; s < 4; s++) {
      x = step(x, rnd);
      chain.add(producer.next(x, s, s, s));
    }
    consumer = new DeltaApplier();
    consumer.keyframe(3, x0);
  }

  private int[][] snapshot() {
    DeltaState w = consumer.state();
    int[][] b = new int[w.tensorCount()][];
    for (int t = 0; t < b.length; t++) {
      b[t] = bits(w.values(t));
    }
    return b;
  }

  private static ModelDelta with(ModelDelta d, long base, long seq, long hash, List<TensorDelta> tensors) {
    return new ModelDelta(d.model(), base, seq, d.encoding(), d.trainerStep(), d.examplesTrained(), d.createdAtMs(),
        d.residualNorm(), d.modelNorm(), hash, tensors);
  }

  @Test
  void shouldApplyInOrderAndRefuseEachFaultWithItsOwnReason() {
    assertThat(new DeltaApplier().apply(chain.get(0))).isEqualTo(Outcome.UNKNOWN_BASE);
    assertThat(consumer.apply(chain.get(0))).isEqualTo(Outcome.APPLIED);
    int[][] good = snapshot();
    long goodHash = consumer.state().hash();

    assertThat(consumer.apply(chain.get(0))).isEqualTo(Outcome.DUPLICATE);
    assertThat(consumer.apply(chain.get(2))).isEqualTo(Outcome.GAP);
    assertThat(consumer.apply(with(chain.get(1), 2, 2, chain.get(1).hashAfter(), chain.get(1).tensors())))
        .isEqualTo(Outcome.OLD_BASE);
    assertThat(consumer.apply(with(chain.get(1), 4, 1, chain.get(1).hashAfter(), chain.get(1).tensors())))
        .isEqualTo(Outcome.UNKNOWN_BASE);
    // a changed value: applied, hash differs, undone
    List<TensorDelta> tampered = new ArrayList<>(chain.get(1).tensors());
    TensorDelta t0 = tampered.get(0);
    float[] v = t0.values().clone();
    v[0] += 0.5f;
    tampered.set(0, new TensorDelta(t0.tensor(), t0.indices(), v));
    assertThat(consumer.apply(with(chain.get(1), 3, 2, chain.get(1).hashAfter(), tampered)))
        .isEqualTo(Outcome.HASH_MISMATCH);
    assertThat(snapshot()).isDeepEqualTo(good);
    assertThat(consumer.state().hash()).isEqualTo(goodHash);
    // malformed: an unknown tensor, an index out of range, indices not increasing, values of the wrong length
    assertThat(consumer.apply(with(chain.get(1), 3, 2, 0, List.of(new TensorDelta("nope", new int[] {0}, new float[1])))))
        .isEqualTo(Outcome.MALFORMED);
    assertThat(consumer.apply(with(chain.get(1), 3, 2, 0,
        List.of(new TensorDelta("mlp/0/bias", new int[] {8}, new float[1]))))).isEqualTo(Outcome.MALFORMED);
    assertThat(consumer.apply(with(chain.get(1), 3, 2, 0,
        List.of(new TensorDelta("mlp/0/bias", new int[] {2, 1}, new float[2]))))).isEqualTo(Outcome.MALFORMED);
    assertThat(consumer.apply(with(chain.get(1), 3, 2, 0,
        List.of(new TensorDelta("emb/f/table", new int[] {1}, new float[3]))))).isEqualTo(Outcome.MALFORMED);
    assertThat(snapshot()).isDeepEqualTo(good);
    assertThat(Outcome.GAP.needsResync()).isTrue();
    assertThat(Outcome.DUPLICATE.needsResync()).isFalse();

    // the real next deltas still apply after all that
    for (int s = 1; s < chain.size(); s++) {
      assertThat(consumer.apply(chain.get(s))).isEqualTo(Outcome.APPLIED);
    }
  }

  @Test
  void twoDeltasSummedFirstShouldNotMatchTheChainsHash() {
    // (w + a) + b is not w + (a + b) in floats: a consumer that merges deltas drifts; the hash says so
    float[] w = {1.0f};
    float a = 0x1p-24f;
    float b = 0x1p-24f;
    assertThat((w[0] + a) + b).isNotEqualTo(w[0] + (a + b)); // the premise, in plain floats
    ModelFile one = file(new float[] {0, 0, 0}, 1, new float[] {1f, 0, 0, 0}, new float[] {0});
    DeltaApplier sequential = new DeltaApplier();
    sequential.keyframe(1, one);
    DeltaApplier merged = new DeltaApplier();
    merged.keyframe(1, one);
    long h1 = hashAfter(one, new float[] {a});
    ModelDelta d1 = new ModelDelta("m", 1, 1, ValueEncoding.FP32, 0, 0, 0, 0, 0, h1,
        List.of(new TensorDelta("mlp/0/weight", new int[] {0}, new float[] {a})));
    assertThat(sequential.apply(d1)).isEqualTo(Outcome.APPLIED);
    ModelDelta d2 = new ModelDelta("m", 1, 2, ValueEncoding.FP32, 0, 0, 0, 0, 0,
        hashAfter(one, new float[] {a}, new float[] {b}),
        List.of(new TensorDelta("mlp/0/weight", new int[] {0}, new float[] {b})));
    assertThat(sequential.apply(d2)).isEqualTo(Outcome.APPLIED);
    ModelDelta sum = new ModelDelta("m", 1, 1, ValueEncoding.FP32, 0, 0, 0, 0, 0, sequential.state().hash(),
        List.of(new TensorDelta("mlp/0/weight", new int[] {0}, new float[] {a + b})));
    assertThat(merged.apply(sum)).isEqualTo(Outcome.HASH_MISMATCH);
  }

  private static long hashAfter(ModelFile f, float[]... adds) {
    DeltaState s = DeltaState.of(f);
    for (float[] add : adds) {
      s.add(1, new int[] {0}, add, null);
    }
    return s.hash();
  }
}
