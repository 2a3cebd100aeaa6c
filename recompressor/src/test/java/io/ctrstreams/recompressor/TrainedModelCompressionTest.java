package io.ctrstreams.recompressor;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.FeatureVector;
import io.ctrstreams.model.FieldSpec;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.recompressor.internal.BatchNet;
import io.ctrstreams.trainer.Batch;
import io.ctrstreams.trainer.Trainer;
import io.ctrstreams.trainer.TrainerConfig;
import org.junit.jupiter.api.Test;

/** AFM against weight SVD on a model actually trained (briefly) on the synthetic stream. */
class TrainedModelCompressionTest {
  private static final long SEED = 1L;

  static CtrModel train(ModelSpec spec, Calibration rows, int steps) {
    TrainerConfig cfg = TrainerConfig.defaults().withBatchSize(256).withThreads(1).withSeed(SEED);
    try (Trainer t = new Trainer(CtrModel.random(spec, SEED), cfg)) {
      Batch b = new Batch(spec.fieldCount(), 256);
      FeatureVector v = spec.newFeatureVector();
      int r = 0;
      for (int s = 0; s < steps; s++) {
        b.clear();
        while (!b.isFull()) {
          for (int f = 0; f < rows.fields(); f++) {
            v.set(f, rows.index(r, f), rows.value(r, f));
          }
          b.add(v, rows.label(r), Float.NaN);
          r = (r + 1) % rows.rows();
        }
        t.step(b);
      }
      return t.toModel(spec.name(), 1, null);
    }
  }

  @Test
  void shouldHaveLowerOutputErrorWithAfmThanSvdOnATrainedModel() {
    ModelSpec.Builder sb = ModelSpec.builder().name("trained-dnn").architecture(Architecture.DNN);
    for (int i = 1; i <= 13; i++) {
      sb.field(FieldSpec.logBucket("I" + i, FieldSpec.Role.CONTEXT, 32, 8));
    }
    for (int i = 1; i <= 26; i++) {
      sb.field(FieldSpec.categorical("C" + i, i <= 13 ? FieldSpec.Role.CONTEXT : FieldSpec.Role.CANDIDATE, 0, 500, 8));
    }
    ModelSpec spec = sb.mlp(96, 64, 32).build();
    CtrModel init = CtrModel.random(spec, SEED);
    Calibration trainRows = CalibrationLoader.synthetic(init, SEED, 0, 25_000);
    CtrModel trained = train(spec, trainRows, 200);
    Calibration calib = CalibrationLoader.synthetic(trained, SEED, 1_000_000, 6000);
    RankPlan plan = RankPlan.of(spec, 2, new int[] {12, 8, 4}, new int[0], false);
    CompressionResult afm = new Compressor(CompressionMethod.AFM, Linalg.defaultLinalg()).compress(trained, calib, plan);
    CompressionResult svd = new Compressor(CompressionMethod.SVD, Linalg.defaultLinalg()).compress(trained, calib, plan);
    assertThat(afm.bytesAfter()).isEqualTo(svd.bytesAfter());
    LayerReport a0 = afm.layers().stream().filter(l -> l.layer().equals("mlp/0")).findFirst().orElseThrow();
    LayerReport s0 = svd.layers().stream().filter(l -> l.layer().equals("mlp/0")).findFirst().orElseThrow();
    // The embeddings before mlp/0 differ by method, so compare the layers' own invariants too.
    assertThat(a0.outputError()).as("mlp/0 AFM %.4f vs SVD %.4f", a0.outputError(), s0.outputError())
        .isLessThan(s0.outputError());
    float[] full = BatchNet.of(trained).logits(calib, 0, calib.rows());
    double afmErr = CompressorTest.meanAbsDiff(full, BatchNet.of(afm.model()).logits(calib, 0, calib.rows()));
    double svdErr = CompressorTest.meanAbsDiff(full, BatchNet.of(svd.model()).logits(calib, 0, calib.rows()));
    assertThat(afmErr).as("mean |logit diff| AFM %.4f vs SVD %.4f, seed %d", afmErr, svdErr, SEED).isLessThan(svdErr);
  }
}
