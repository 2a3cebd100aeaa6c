package io.ctrstreams.recompressor;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.ModelSpec;
import org.junit.jupiter.api.Test;

class DistillerTest {
  private static final long SEED = 5150L;

  @Test
  void shouldImproveHeldOutFidelityOfAnAggressivelyCompressedStudentOrKeepTheOriginal() {
    ModelSpec spec = TestModels.spec(Architecture.DNN, CrossStructure.STACKED, 8, null);
    CtrModel teacher = CtrModel.random(spec, SEED);
    Calibration calib = TestModels.rows(spec, 6000, SEED);
    Calibration train = calib.slice(0, 5000);
    Calibration held = calib.slice(5000, 6000);
    CtrModel student = new Compressor(CompressionMethod.AFM, Linalg.defaultLinalg())
        .compress(teacher, train, RankPlan.of(spec, 1, new int[] {2, 2, 2}, new int[0], true)).model();
    Distiller.Options opts = new Distiller.Options(150, 256, 0.0, 1.0, 1e-3, 0.05, 1, SEED);
    Distiller.Result r = new Distiller(opts).distill(teacher, student, train, held);
    assertThat(r.steps()).isEqualTo(150);
    // Pure distillation (alpha = 0) from a heavily truncated student has room to improve.
    assertThat(r.fidelityAfter()).as("seed %d: %s", SEED, r.format()).isLessThan(r.fidelityBefore());
    assertThat(r.kept()).isTrue();
    assertThat(r.model().spec()).isEqualTo(student.spec());
    assertThat(r.model().metadata()).containsKey("distillation");

    Distiller.Result none = new Distiller(opts.withSteps(0)).distill(teacher, student, train, held);
    assertThat(none.kept()).isFalse();
    assertThat(none.model()).isSameAs(student);
  }
}
