package io.ctrstreams.recompressor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ctrstreams.model.Architecture;
import io.ctrstreams.model.CrossStructure;
import io.ctrstreams.model.CtrModel;
import io.ctrstreams.model.ModelSpec;
import io.ctrstreams.model.Tensor;
import io.ctrstreams.model.delta.ModelDelta;
import io.ctrstreams.model.delta.TensorDelta;
import io.ctrstreams.model.delta.ValueEncoding;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A full-model delta projected onto an AFM student: exact for every change inside the student's
 * basis (embedding rows in the row space of P, layer changes in the column space of U), identity
 * for the tensors the student kept dense, and refused where the basis is gone (folded embeddings).
 */
class DeltaProjectorTest {
  private static final long SEED = 11;
  private static ModelSpec spec;
  private static CtrModel teacher;
  private static CtrModel student;

  @BeforeAll
  static void compress() {
    spec = TestModels.spec(Architecture.DNN, CrossStructure.STACKED, 8, null);
    teacher = CtrModel.random(spec, SEED);
    Calibration calib = TestModels.rows(spec, 3000, SEED);
    student = new Compressor(CompressionMethod.AFM, Linalg.defaultLinalg())
        .compress(teacher, calib, RankPlan.of(spec, 3, new int[] {16, 8, 4}, new int[0], false)).model();
  }

  private static ModelDelta delta(TensorDelta... t) {
    return new ModelDelta("full", 1, 1, ValueEncoding.FP32, 1, 1, 1, 0, 0, 0, List.of(t));
  }

  @Test
  void rowsInThePlaneOfTheBasisShouldMoveByTheirExactCoordinates() {
    Tensor p = student.tensor("emb/ad/proj"); // [3, 8]
    int k = p.dim(0);
    int d = p.dim(1);
    Random rnd = new Random(1);
    int[] rows = {5, 77};
    double[][] coords = new double[rows.length][k];
    float[] de = new float[rows.length * d];
    for (int j = 0; j < rows.length; j++) {
      for (int r = 0; r < k; r++) {
        coords[j][r] = rnd.nextGaussian() * 0.1;
        for (int c = 0; c < d; c++) {
          de[j * d + c] += (float) (coords[j][r] * p.data()[r * d + c]);
        }
      }
    }
    DeltaProjector.Result res = new DeltaProjector(spec, student).project(delta(new TensorDelta("emb/ad", rows, de)));
    assertThat(res.projected()).isTrue();
    TensorDelta t = res.updates().get(0);
    assertThat(t.tensor()).isEqualTo("emb/ad/table");
    assertThat(t.indices()).containsExactly(rows);
    for (int j = 0; j < rows.length; j++) {
      for (int r = 0; r < k; r++) {
        assertThat((double) t.values()[j * k + r]).isCloseTo(coords[j][r], within(1e-5));
      }
    }
  }

  @Test
  void layerChangesInTheColumnSpaceOfUShouldMoveVExactlyAndBiasesShouldPassToTheOutputBias() {
    Tensor u = student.tensor("mlp/1/u"); // [32, 8]
    Tensor v = student.tensor("mlp/1/v"); // [8, 48]
    int out = u.dim(0);
    int k = u.dim(1);
    int in = v.dim(1);
    Random rnd = new Random(2);
    int[] cols = {3, 40};
    double[][] m = new double[k][cols.length];
    int[] idx = new int[out * cols.length];
    float[] dw = new float[out * cols.length];
    for (int r = 0; r < k; r++) {
      for (int j = 0; j < cols.length; j++) {
        m[r][j] = rnd.nextGaussian() * 0.1;
      }
    }
    int q = 0;
    for (int o = 0; o < out; o++) {
      for (int j = 0; j < cols.length; j++) {
        double s = 0;
        for (int r = 0; r < k; r++) {
          s += u.data()[o * k + r] * m[r][j];
        }
        idx[q] = o * in + cols[j];
        dw[q++] = (float) s;
      }
    }
    DeltaProjector.Result res = new DeltaProjector(spec, student).project(delta(
        new TensorDelta("mlp/1/w", idx, dw), new TensorDelta("mlp/1/b", new int[] {4}, new float[] {0.25f}),
        new TensorDelta("out/b", new int[] {0}, new float[] {-0.5f})));
    assertThat(res.projected()).isTrue();
    Map<String, TensorDelta> byName = res.updates().stream().collect(Collectors.toMap(TensorDelta::tensor, t -> t));
    assertThat(byName).containsOnlyKeys("mlp/1/v", "mlp/1/d", "out/b");
    TensorDelta dv = byName.get("mlp/1/v");
    assertThat(dv.indices()).hasSize(k * cols.length);
    for (int i = 0; i < dv.indices().length; i++) {
      int r = dv.indices()[i] / in;
      int c = dv.indices()[i] % in;
      int j = c == cols[0] ? 0 : 1;
      assertThat(c).isIn(cols[0], cols[1]);
      assertThat((double) dv.values()[i]).isCloseTo(m[r][j], within(1e-4));
    }
    assertThat(byName.get("mlp/1/d").indices()).containsExactly(4);
    assertThat(byName.get("mlp/1/d").values()).containsExactly(0.25f);
    assertThat(byName.get("out/b").values()).containsExactly(-0.5f);
  }

  @Test
  void aFoldedStudentOrAnUnknownTensorShouldNotBeProjected() {
    Calibration calib = TestModels.rows(spec, 2000, SEED);
    CtrModel folded = new Compressor(CompressionMethod.AFM, Linalg.defaultLinalg())
        .compress(teacher, calib, RankPlan.of(spec, 3, new int[] {16, 8, 4}, new int[0], true)).model();
    DeltaProjector p = new DeltaProjector(spec, folded);
    DeltaProjector.Result r = p.project(delta(new TensorDelta("emb/ad", new int[] {1}, new float[8])));
    assertThat(r.projected()).isFalse();
    assertThat(r.reason()).contains("emb/ad");
    assertThat(new DeltaProjector(spec, student).project(delta(new TensorDelta("no/such", new int[] {0},
        new float[1]))).reason()).hasValueSatisfying(s -> assertThat(s).contains("no/such"));
  }

  @Test
  void pseudoInversesShouldInvertFullRankFactors() {
    float[] p = {1, 2, 0, 0, 1, 1}; // [2, 3]
    double[] pinv = DeltaProjector.rowPinvTransposed(p, 2, 3); // [3, 2]: P P^+ = I
    for (int a = 0; a < 2; a++) {
      for (int b = 0; b < 2; b++) {
        double s = 0;
        for (int c = 0; c < 3; c++) {
          s += p[a * 3 + c] * pinv[c * 2 + b];
        }
        assertThat(s).isCloseTo(a == b ? 1 : 0, within(1e-9));
      }
    }
    float[] u = {1, 0, 2, 1, 0, 3}; // [3, 2]: U^+ U = I
    double[] upinv = DeltaProjector.columnPinv(u, 3, 2); // [2, 3]
    for (int a = 0; a < 2; a++) {
      for (int b = 0; b < 2; b++) {
        double s = 0;
        for (int o = 0; o < 3; o++) {
          s += upinv[a * 3 + o] * u[o * 2 + b];
        }
        assertThat(s).isCloseTo(a == b ? 1 : 0, within(1e-9));
      }
    }
  }
}
