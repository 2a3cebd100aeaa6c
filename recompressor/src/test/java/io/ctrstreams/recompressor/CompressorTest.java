package io.ctrstreams.recompressor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.format.CtrmFormat;
import io.ctrstreams.recompressor.internal.BatchNet;
import org.junit.jupiter.api.Test;

class CompressorTest {
  private static final long SEED = 99L;

  static double meanAbsDiff(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += Math.abs(a[i] - b[i]);
    }
    return s / a.length;
  }

  @Test
  void shouldBuildValidStudentsForEveryArchitectureWithAfmInvariantPerLayer() {
    Object[][] cases = {
        {Architecture.DNN, CrossStructure.STACKED, true},
        {Architecture.DNN, CrossStructure.STACKED, false},
        {Architecture.DEEPFM, CrossStructure.STACKED, false},
        {Architecture.DCNV2, CrossStructure.STACKED, false},
        {Architecture.DCNV2, CrossStructure.PARALLEL, false}};
    for (Object[] c : cases) {
      ModelSpec spec = TestModels.spec((Architecture) c[0], (CrossStructure) c[1], 8, null);
      CtrModel teacher = CtrModel.random(spec, SEED);
      Calibration calib = TestModels.rows(spec, 3000, SEED);
      int[] cross = spec.crossLayers() == 0 ? new int[0] : new int[] {6, 10};
      RankPlan plan = RankPlan.of(spec, 3, new int[] {0, 12, 6}, cross, (Boolean) c[2]);
      CompressionResult r = new Compressor(CompressionMethod.AFM, Linalg.defaultLinalg()).compress(teacher, calib, plan);
      String what = c[0] + " " + c[1] + (((Boolean) c[2]) ? " folded" : "") + " seed " + SEED;
      assertThat(r.bytesAfter()).as(what).isLessThan(r.bytesBefore());
      assertThat(r.model().spec().isFolded()).as(what).isEqualTo(c[2]);
      for (LayerReport l : r.layers()) {
        // The AFM invariant holds through the pipeline: stats are taken on exactly the inputs
        // the compressed layer sees.
        assertThat(l.outputError()).as("%s %s", what, l.layer()).isCloseTo(1 - l.retainedEnergy(),
            within(2e-4 + 2e-3 * (1 - l.retainedEnergy())));
      }
      // The student is a valid core model: its reference scorer agrees with the batched pass.
      float[] ref = TestModels.referenceLogits(r.model(), calib, 400);
      float[] batch = BatchNet.of(r.model()).logits(calib, 0, 400);
      for (int i = 0; i < ref.length; i++) {
        assertThat(batch[i]).as("%s row %d", what, i).isCloseTo(ref[i], within(1e-3f + 1e-4f * Math.abs(ref[i])));
      }
      // And it survives the .ctrm format.
      CtrModel back = CtrModel.fromFile(CtrmFormat.read(CtrmFormat.toBytes(r.model().toFile())));
      assertThat(back.spec()).isEqualTo(r.model().spec());
    }
  }

  @Test
  void shouldHaveLowerOutputErrorWithAfmThanSvdAtEqualRank() {
    ModelSpec spec = TestModels.spec(Architecture.DCNV2, CrossStructure.STACKED, 8, null);
    CtrModel teacher = CtrModel.random(spec, SEED + 1);
    Calibration calib = TestModels.rows(spec, 4000, SEED + 1);
    RankPlan plan = RankPlan.of(spec, 3, new int[] {16, 8, 4}, new int[] {8, 8}, false);
    CompressionResult afm = new Compressor(CompressionMethod.AFM, Linalg.defaultLinalg()).compress(teacher, calib, plan);
    CompressionResult svd = new Compressor(CompressionMethod.SVD, Linalg.defaultLinalg()).compress(teacher, calib, plan);
    assertThat(afm.bytesAfter()).isEqualTo(svd.bytesAfter());
    // Same input for the first compressed layer of each kind: AFM is the optimal rank-k output
    // projection on these rows, so it cannot lose there.
    for (int i = 0; i < afm.layers().size(); i++) {
      LayerReport a = afm.layers().get(i);
      LayerReport s = svd.layers().get(i);
      if (a.layer().startsWith("emb/") || a.layer().equals("cross/0")) {
        assertThat(a.outputError()).as("%s seed %d", a.layer(), SEED + 1).isLessThanOrEqualTo(s.outputError() + 1e-9);
      }
    }
    float[] full = BatchNet.of(teacher).logits(calib, 0, calib.rows());
    double afmErr = meanAbsDiff(full, BatchNet.of(afm.model()).logits(calib, 0, calib.rows()));
    double svdErr = meanAbsDiff(full, BatchNet.of(svd.model()).logits(calib, 0, calib.rows()));
    assertThat(afmErr).as("mean |logit diff| AFM %.4f vs SVD %.4f, seed %d", afmErr, svdErr, SEED + 1)
        .isLessThan(svdErr);
  }

  @Test
  void shouldRecompressAnAlreadyLowRankModelThroughItsDenseForm() {
    ModelSpec spec = TestModels.spec(Architecture.DNN, CrossStructure.STACKED, 8, null);
    CtrModel teacher = CtrModel.random(spec, SEED + 2);
    Calibration calib = TestModels.rows(spec, 2000, SEED + 2);
    Compressor c = new Compressor(CompressionMethod.AFM, Linalg.defaultLinalg());
    CtrModel once = c.compress(teacher, calib, RankPlan.of(spec, 4, new int[] {20, 12, 0}, new int[0], false)).model();
    CompressionResult twice = c.compress(once, calib, RankPlan.of(spec, 2, new int[] {10, 6, 0}, new int[0], false));
    assertThat(twice.model().spec().lowRank().mlpRanks()).containsExactly(10, 6, 0);
    CtrModel folded = c.compress(teacher, calib, RankPlan.of(spec, 4, new int[] {0, 0, 0}, new int[0], true)).model();
    assertThatThrownBy(() -> c.compress(folded, calib, RankPlan.dense(spec)))
        .isInstanceOf(RecompressorException.class).hasMessageContaining("folded");
  }

  @Test
  void shouldRejectPlansThatDoNotFitTheModel() {
    ModelSpec spec = TestModels.spec(Architecture.DEEPFM, CrossStructure.STACKED, 8, null);
    CtrModel teacher = CtrModel.random(spec, SEED);
    Calibration calib = TestModels.rows(spec, 100, SEED);
    Compressor c = new Compressor(CompressionMethod.AFM, Linalg.java());
    assertThatThrownBy(() -> c.compress(teacher, calib, RankPlan.of(spec, 2, new int[] {0, 0, 0}, new int[0], true)))
        .hasMessageContaining("needs a DNN");
    int[] emb = new int[spec.fieldCount()];
    emb[6] = 2; // "bid" is SCALED
    assertThatThrownBy(() -> c.compress(teacher, calib, new RankPlan(emb, new int[3], new int[0], false)))
        .hasMessage("embedding rank for field bid must be in [0, 8] (0 for SCALED fields), found 2");
  }
}
