package io.ctrstreams.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class CalibrationTest {

  /** z_i = (i mod 37) / 4 - 4, y_i = [(7919 i mod 100) < 100 sigmoid(0.5 z_i - 0.3)], i < 200. */
  private static double[] z() {
    double[] z = new double[200];
    for (int i = 0; i < 200; i++) {
      z[i] = (i % 37) / 4.0 - 4;
    }
    return z;
  }

  private static boolean[] y(double[] z) {
    boolean[] y = new boolean[z.length];
    for (int i = 0; i < z.length; i++) {
      y[i] = (i * 7919) % 100 < 100 / (1 + Math.exp(-(0.5 * z[i] - 0.3)));
    }
    return y;
  }

  @Test
  void shouldFitPlattLikeNumpyNewton() {
    // numpy: Newton on sum softplus(a z + b) - y (a z + b) + 1e-6 n (a - 1)^2 / 2, 100 iterations
    Calibration c = Calibration.fitPlatt(z(), y(z()));
    assertThat(c.kind()).isEqualTo(Calibration.Kind.PLATT);
    assertThat(c.a()).isCloseTo(0.4341268580, within(1e-6));
    assertThat(c.b()).isCloseTo(-0.1943370675, within(1e-6));
  }

  @Test
  void shouldFitAMonotoneIsotonicMapWhoseMeanIsTheObservedRate() {
    double[] z = z();
    boolean[] y = y(z);
    Calibration c = Calibration.fitIsotonic(z, y);
    assertThat(c.kind()).isEqualTo(Calibration.Kind.ISOTONIC);
    double[] p = c.knotProbabilities();
    for (int i = 1; i < p.length; i++) {
      assertThat(p[i]).isGreaterThanOrEqualTo(p[i - 1]);
    }
    // pool-adjacent-violators preserves the sum of labels on the fitted rows
    double sum = 0;
    double pos = 0;
    for (int i = 0; i < z.length; i++) {
      sum += c.apply(z[i]);
      pos += y[i] ? 1 : 0;
    }
    assertThat(sum).isCloseTo(pos, within(1e-9));
  }

  @Test
  void shouldFallBackToNoneWithOneClassAndRejectBadMaps() {
    assertThat(Calibration.fitPlatt(new double[] {0, 1}, new boolean[] {true, true})).isEqualTo(Calibration.none());
    assertThat(Calibration.none().apply(0f)).isEqualTo(0.5f);
    assertThatThrownBy(() -> Calibration.platt(-1, 0)).hasMessageContaining("a=-1");
    assertThatThrownBy(() -> Calibration.isotonic(new double[] {1, 0}, new double[] {0.1, 0.2}))
        .hasMessageContaining("increasing");
    assertThatThrownBy(() -> Calibration.isotonic(new double[] {0, 1}, new double[] {0.3, 0.2}))
        .hasMessageContaining("non-decreasing");
    assertThatThrownBy(() -> Calibration.fitPlatt(new double[] {Double.NaN}, new boolean[] {true}))
        .hasMessageContaining("NaN");
  }

  @Test
  void shouldBeAppliedToPctrByBothScorersButNotToLogits() {
    ModelSpec spec = ModelSpec.builder().name("m").architecture(Architecture.DNN)
        .fields(List.of(FieldSpec.categorical("a", FieldSpec.Role.CONTEXT, 0, 5, 4),
            FieldSpec.categorical("b", FieldSpec.Role.CANDIDATE, 0, 7, 4)))
        .mlp(8).build();
    CtrModel raw = CtrModel.random(spec, 3);
    Calibration c = Calibration.platt(0.7, -0.4);
    CtrModel cal = raw.withCalibration(c);
    FeatureVector v = spec.newFeatureVector();
    v.set(0, 2, 1f);
    v.set(1, 5, 1f);
    assertThat(cal.scorer().scoreLogit(v, v)).isEqualTo(raw.scorer().scoreLogit(v, v));
    assertThat(cal.referenceScorer().scoreLogit(v, v)).isEqualTo(raw.referenceScorer().scoreLogit(v, v));
    for (Scorer s : List.of(cal.scorer(), cal.referenceScorer())) {
      float z = s.scoreLogit(v, v);
      assertThat(s.score(v, v)).isEqualTo(c.apply(z));
      float[] out = new float[1];
      s.scoreBatch(v, new FeatureVector[] {v}, 1, out);
      assertThat(out[0]).isEqualTo(c.apply(z));
    }
    assertThat(CtrModel.fromFile(cal.toFile()).calibration()).isEqualTo(c);
    assertThat(cal.withVersion(9).calibration()).isEqualTo(c);
  }
}
