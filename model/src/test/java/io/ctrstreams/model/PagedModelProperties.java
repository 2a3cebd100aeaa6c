package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.delta.DeltaApplier.Outcome;
import io.ctrstreams.model.delta.DeltaState;
import io.ctrstreams.model.delta.ExactDeltas;
import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.delta.PagedModel;
import io.ctrstreams.model.delta.RowPages;
import io.ctrstreams.model.delta.TensorDelta;
import io.ctrstreams.model.delta.ValueEncoding;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * A scorer's model following a delta chain copy-on-write ({@link PagedModel}) holds the
 * producer's weights bit for bit, scores exactly as a model built from those weights, shares every
 * page a delta did not touch, never writes its keyframe, and refuses each chain fault with its own
 * outcome while serving on unchanged.
 */
class PagedModelProperties {

  /** Random updates: a few rows of some tables (spanning pages) and a few elements of other tensors. */
  static List<TensorDelta> randomUpdates(CtrModel m, Random rnd) {
    List<TensorDelta> out = new ArrayList<>();
    for (Tensor t : m.tensors()) {
      if (rnd.nextInt(3) == 0) {
        continue;
      }
      boolean rows = t.rank() == 2 && t.name().startsWith("emb/");
      int unit = rows ? t.dim(1) : 1;
      int units = t.size() / unit;
      TreeSet<Integer> idx = new TreeSet<>();
      for (int k = 1 + rnd.nextInt(Math.min(units, 6)); k > 0; k--) {
        idx.add(rnd.nextInt(units));
      }
      int[] ix = idx.stream().mapToInt(Integer::intValue).toArray();
      float[] v = new float[ix.length * unit];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (rnd.nextGaussian() * 0.05);
      }
      out.add(new TensorDelta(t.name(), ix, v));
    }
    return out;
  }

  @Property(tries = 80)
  void aPagedModelShouldFollowTheProducerBitForBit(@ForAll long seed, @ForAll @IntRange(min = 1, max = 12) int steps) {
    Random rnd = new Random(seed);
    ModelSpec spec = rnd.nextBoolean() ? ScorerAgreementProperties.randomSpec(rnd) : multiPageSpec(rnd);
    CtrModel keyframe = CtrModel.random(spec, seed);
    float[][] before = new float[keyframe.tensorMap().size()][];
    int t0 = 0;
    for (Tensor t : keyframe.tensors()) {
      before[t0++] = t.data().clone();
    }
    ExactDeltas producer = new ExactDeltas(spec.name(), 5, DeltaState.of(keyframe));
    PagedModel served = PagedModel.of(keyframe, 5);
    assertThat(served.hash()).isEqualTo(producer.state().hash());
    for (int s = 1; s <= steps; s++) {
      ModelDelta d = producer.next(randomUpdates(keyframe, rnd), s, s * 10L, 1000L + s);
      PagedModel.Result r = served.apply(d);
      assertThat(r.outcome()).isEqualTo(Outcome.APPLIED);
      for (TensorDelta td : d.tensors()) {
        RowPages now = r.model().table(td.tensor());
        RowPages was = served.table(td.tensor());
        if (now != null) {
          for (int row = 0; row < now.rows(); row++) {
            boolean touchedPage = false;
            for (int i : td.indices()) {
              touchedPage |= i >>> RowPages.PAGE_SHIFT == row >>> RowPages.PAGE_SHIFT;
            }
            assertThat(now.sharesPage(was, row)).as("row %d of %s", row, td.tensor()).isEqualTo(!touchedPage);
          }
        }
      }
      served = r.model();
      assertThat(served.sequence()).isEqualTo(s);
      assertThat(served.lastCreatedAtMs()).isEqualTo(1000L + s);
    }
    assertThat(served.hash()).isEqualTo(producer.state().hash());
    CtrModel exact = served.materialize();
    DeltaState w = producer.state();
    int t = 0;
    for (Tensor x : exact.tensors()) {
      assertThat(x.name()).isEqualTo(w.name(t));
      assertThat(bits(x.data())).isEqualTo(bits(w.values(t)));
      t++;
    }
    // the keyframe's own tensors were never written
    t = 0;
    for (Tensor x : keyframe.tensors()) {
      assertThat(bits(x.data())).isEqualTo(bits(before[t++]));
    }
    // the paged scorer is the scorer of the exact weights, bit for bit
    FeatureVector ctx = ScorerAgreementProperties.randomVector(spec, rnd);
    FeatureVector[] cands = new FeatureVector[1 + rnd.nextInt(40)];
    for (int i = 0; i < cands.length; i++) {
      cands[i] = ScorerAgreementProperties.randomVector(spec, rnd);
    }
    float[] a = new float[cands.length];
    float[] b = new float[cands.length];
    served.scorer().scoreLogitsBatch(ctx, cands, cands.length, a);
    exact.scorer().scoreLogitsBatch(ctx, cands, cands.length, b);
    assertThat(bits(a)).isEqualTo(bits(b));
  }

  /** Tables of several pages (up to 12), dense or low-rank, DNN or DeepFM. */
  static ModelSpec multiPageSpec(Random rnd) {
    int dim = 2 + rnd.nextInt(7);
    ModelSpec.Builder b = ModelSpec.builder().name("pages")
        .architecture(rnd.nextBoolean() ? Architecture.DNN : Architecture.DEEPFM)
        .field(FieldSpec.categorical("ctx", FieldSpec.Role.CONTEXT, 0, 1 + rnd.nextInt(3000), dim))
        .field(FieldSpec.categorical("ad", FieldSpec.Role.CANDIDATE, 0, 257 + rnd.nextInt(2800), dim))
        .mlp(1 + rnd.nextInt(9));
    if (rnd.nextBoolean()) {
      b.lowRank(LowRankConfig.of(1 + rnd.nextInt(dim), false));
    }
    return b.build();
  }

  @Property(tries = 40)
  void eachChainFaultShouldBeRefusedWithItsOwnReasonAndChangeNothing(@ForAll long seed) {
    Random rnd = new Random(seed);
    ModelSpec spec = ScorerAgreementProperties.randomSpec(rnd);
    CtrModel keyframe = CtrModel.random(spec, seed);
    ExactDeltas producer = new ExactDeltas(spec.name(), 9, DeltaState.of(keyframe));
    PagedModel served = PagedModel.of(keyframe, 9);
    ModelDelta d1 = producer.next(randomUpdates(keyframe, rnd), 1, 1, 1);
    ModelDelta d2 = producer.next(randomUpdates(keyframe, rnd), 2, 2, 2);
    ModelDelta d3 = producer.next(randomUpdates(keyframe, rnd), 3, 3, 3);
    served = served.apply(d1).model();

    assertRefused(served, d1, Outcome.DUPLICATE);
    assertRefused(served, d3, Outcome.GAP);
    assertRefused(served, with(d2, 8, d2.hashAfter()), Outcome.OLD_BASE);
    assertRefused(served, with(d2, 10, d2.hashAfter()), Outcome.UNKNOWN_BASE);
    assertRefused(served, with(d2, 9, d2.hashAfter() + 1), Outcome.HASH_MISMATCH);
    if (!d2.tensors().isEmpty()) {
      TensorDelta td = d2.tensors().get(0);
      List<TensorDelta> bad = new ArrayList<>(d2.tensors());
      bad.set(0, new TensorDelta("no/such/tensor", td.indices(), td.values()));
      assertRefused(served, new ModelDelta(d2.model(), 9, 2, ValueEncoding.FP32, 2, 2, 2, 0, 0, d2.hashAfter(), bad),
          Outcome.MALFORMED);
      // the same values added in another order are another summation: the hash catches it
      if (td.indices().length >= 2 || d2.tensors().size() >= 2) {
        List<TensorDelta> twice = new ArrayList<>(d2.tensors());
        twice.add(td);
        assertRefused(served, new ModelDelta(d2.model(), 9, 2, ValueEncoding.FP32, 2, 2, 2, 0, 0, d2.hashAfter(),
            twice), Outcome.HASH_MISMATCH);
      }
    }
    PagedModel.Result ok = served.apply(d2);
    assertThat(ok.outcome()).isEqualTo(Outcome.APPLIED);
    assertThat(ok.model().apply(d3).outcome()).isEqualTo(Outcome.APPLIED);
  }

  private static ModelDelta with(ModelDelta d, long base, long hash) {
    return new ModelDelta(d.model(), base, d.sequence(), d.encoding(), d.trainerStep(), d.examplesTrained(),
        d.createdAtMs(), d.residualNorm(), d.modelNorm(), hash, d.tensors());
  }

  private static void assertRefused(PagedModel served, ModelDelta d, Outcome expected) {
    PagedModel.Result r = served.apply(d);
    assertThat(r.outcome()).isEqualTo(expected);
    assertThat(r.model()).isSameAs(served);
  }

  static int[] bits(float[] v) {
    int[] b = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = Float.floatToRawIntBits(v[i]);
    }
    return b;
  }
}
