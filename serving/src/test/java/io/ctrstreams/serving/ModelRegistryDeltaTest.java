package io.ctrstreams.serving;

import static io.ctrstreams.serving.TestModels.manifest;
import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.delta.DeltaApplier.Outcome;
import io.ctrstreams.model.delta.DeltaState;
import io.ctrstreams.model.delta.ExactDeltas;
import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.delta.TensorDelta;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.model.format.ReadOptions;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The registry applies compressed deltas to the served version copy-on-write, by the chain rules. */
class ModelRegistryDeltaTest {
  private static final String M = "ctr";

  private static List<TensorDelta> updates(CtrModel m, Random rnd) {
    List<TensorDelta> out = new ArrayList<>();
    for (Tensor t : m.tensors()) {
      boolean rows = t.rank() == 2 && t.name().startsWith("emb/");
      int unit = rows ? t.dim(1) : 1;
      int i = rnd.nextInt(t.size() / unit);
      float[] v = new float[unit];
      for (int c = 0; c < unit; c++) {
        v[c] = (float) rnd.nextGaussian() * 0.1f;
      }
      out.add(new TensorDelta(t.name(), new int[] {i}, v));
    }
    return out;
  }

  @Test
  void deltasShouldAdvanceTheServedVersionWithoutASwapAndFaultsShouldLeaveItServing() {
    ModelRegistry r = new ModelRegistry(M);
    List<String> events = new ArrayList<>();
    r.addListener(new RegistryListener() {
      @Override
      public void onSwap(ServedModel previous, ServedModel current) {
        events.add("swap v" + current.version());
      }

      @Override
      public void onDelta(ServedModel previous, ServedModel current) {
        events.add("delta v" + current.version() + "+" + current.deltaSequence());
      }
    });
    assertThat(r.applyDelta(new ModelDelta(M, 3, 1, io.ctrstreams.model.delta.ValueEncoding.FP32, 0, 0, 0, 0, 0, 0,
        List.of()))).isEqualTo(Outcome.UNKNOWN_BASE);
    byte[] b = TestModels.ctrm(3);
    r.offer(manifest(M, 3, b), b);
    CtrModel keyframe = CtrModel.fromFile(CtrmFormat.read(ByteBuffer.wrap(b), ReadOptions.defaults()));
    ExactDeltas producer = new ExactDeltas(M, 3, DeltaState.of(keyframe));
    Random rnd = new Random(7);
    ModelDelta d1 = producer.next(updates(keyframe, rnd), 1, 10, 1_000);
    ModelDelta d2 = producer.next(updates(keyframe, rnd), 2, 20, 2_000);
    ModelDelta d3 = producer.next(updates(keyframe, rnd), 3, 30, 3_000);
    ServedModel v3 = r.current();

    assertThat(r.applyDelta(d2)).isEqualTo(Outcome.GAP);
    assertThat(r.current()).isSameAs(v3);
    assertThat(r.applyDelta(d1)).isEqualTo(Outcome.APPLIED);
    ServedModel after1 = r.current();
    assertThat(after1.version()).isEqualTo(3);
    assertThat(after1.deltaSequence()).isEqualTo(1);
    assertThat(after1.deltaCreatedAtMs()).isEqualTo(1_000);
    assertThat(after1.model()).isSameAs(v3.model());
    assertThat(after1.chain().hash()).isEqualTo(d1.hashAfter());
    assertThat(r.applyDelta(d1)).isEqualTo(Outcome.DUPLICATE);
    ModelDelta tampered = new ModelDelta(M, 3, 2, d2.encoding(), 2, 20, 2_000, 0, 0, d2.hashAfter() ^ 1, d2.tensors());
    assertThat(r.applyDelta(tampered)).isEqualTo(Outcome.HASH_MISMATCH);
    assertThat(r.current()).isSameAs(after1);
    assertThat(r.applyDelta(d2)).isEqualTo(Outcome.APPLIED);
    assertThat(r.applyDelta(d3)).isEqualTo(Outcome.APPLIED);
    assertThat(r.swapCount()).isEqualTo(1);
    assertThat(events).containsExactly("swap v3", "delta v3+1", "delta v3+2", "delta v3+3");
    assertThat(r.deltaCount(Outcome.APPLIED)).isEqualTo(3);
    assertThat(r.deltaCount(Outcome.GAP)).isEqualTo(1);
    assertThat(r.deltaCount(Outcome.HASH_MISMATCH)).isEqualTo(1);
    assertThat(r.deltaCount(Outcome.DUPLICATE)).isEqualTo(1);

    // the served scorer is the scorer of the producer's weights, bit for bit
    CtrModel exact = CtrModel.fromFile(producer.state().toFile(keyframe.toFile()));
    FeatureVector v = keyframe.encoder().newFeatureVector();
    keyframe.encoder().encode(java.util.Map.of(), v);
    assertThat(Float.floatToRawIntBits(r.current().scorer().scoreLogit(v, v)))
        .isEqualTo(Float.floatToRawIntBits(exact.scorer().scoreLogit(v, v)));

    // pinned: deltas wait; a new version starts a new chain and older chains are refused
    r.pin(3);
    assertThat(r.applyDelta(d3)).isNull();
    assertThat(r.deltasWhilePinned()).isEqualTo(1);
    r.unpin();
    byte[] b4 = TestModels.ctrm(4);
    r.offer(manifest(M, 4, b4), b4);
    assertThat(r.current().deltaSequence()).isZero();
    assertThat(r.applyDelta(producer.next(updates(keyframe, rnd), 4, 40, 4_000))).isEqualTo(Outcome.OLD_BASE);
  }
}
